//! The intrinsic functions against the examples of Step Functions' developer
//! guide and the language's specification, their limits, and the parser's errors.

use super::{Intrinsic, IntrinsicFailure};
use crate::path::PathSource;
use serde_json::{json, Map, Value};

/// A resolver over exact path texts, so the tests depend on no path engine.
fn paths<'a>(table: &'a [(&'a str, Value)]) -> impl Fn(&PathSource) -> Option<Value> + 'a {
    move |path| {
        let text = path.to_string();
        table
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, value)| value.clone())
    }
}

fn run(text: &str, table: &[(&str, Value)]) -> Result<Value, IntrinsicFailure> {
    Intrinsic::parse(text)
        .unwrap_or_else(|err| panic!("{text} should parse: {err}"))
        .evaluate(&paths(table))
}

fn eval(text: &str, table: &[(&str, Value)]) -> Value {
    run(text, table).unwrap_or_else(|err| panic!("{text} should succeed: {err}"))
}

fn failure(text: &str, table: &[(&str, Value)]) -> String {
    match run(text, table) {
        Ok(value) => panic!("{text} should fail, but gave {value}"),
        Err(IntrinsicFailure(cause)) => cause,
    }
}

fn parse_error(text: &str) -> String {
    match Intrinsic::parse(text) {
        Ok(call) => panic!("{text} should be refused, but parsed as {call:?}"),
        Err(err) => err,
    }
}

fn nine() -> Value {
    json!([1, 2, 3, 4, 5, 6, 7, 8, 9])
}

#[test]
fn looks_like_wants_the_prefix_and_a_parenthesis() {
    assert!(Intrinsic::looks_like("States.UUID()"));
    assert!(Intrinsic::looks_like("States.Foo(1)"));
    assert!(!Intrinsic::looks_like("$.States.Format"));
    assert!(!Intrinsic::looks_like("States.Format"));
}

#[test]
fn format_fills_placeholders_from_literals_and_paths() {
    let input = [
        ("$.name", json!("Arnav")),
        ("$.template", json!("Hello, my name is {}.")),
    ];
    assert_eq!(
        eval("States.Format('Hello, my name is {}.', $.name)", &input),
        json!("Hello, my name is Arnav.")
    );
    assert_eq!(
        eval("States.Format($.template, $.name)", &input),
        json!("Hello, my name is Arnav.")
    );
    // The ASL spec's examples.
    assert_eq!(
        eval(
            "States.Format('Your name is {}, we are in the year {}', $.name, 2020)",
            &[("$.name", json!("Foo"))]
        ),
        json!("Your name is Foo, we are in the year 2020")
    );
    assert_eq!(
        eval(
            r"States.Format('Welcome to {} {}\'s playlist.', $.firstName, $.lastName)",
            &[("$.firstName", json!("Ann")), ("$.lastName", json!("Lee"))]
        ),
        json!("Welcome to Ann Lee's playlist.")
    );
    assert_eq!(
        eval(
            "States.Format('Today is {}', $$.DayOfWeek)",
            &[("$$.DayOfWeek", json!("TUESDAY"))]
        ),
        json!("Today is TUESDAY")
    );
}

#[test]
fn format_writes_natural_text_and_keeps_escaped_braces() {
    assert_eq!(
        eval(
            r"States.Format('\{\} {} {} {} {}', 1.5, true, null, -7)",
            &[]
        ),
        json!("{} 1.5 true null -7")
    );
    assert_eq!(eval(r"States.Format('a\\b')", &[]), json!(r"a\b"));
    // Lone braces are text; only `{}` is a placeholder.
    assert_eq!(eval("States.Format('{ } {}', 'x')", &[]), json!("{ } x"));
    assert_eq!(eval("States.Array('a{}b')", &[]), json!(["a{}b"]));
}

#[test]
fn format_writes_objects_and_arrays_as_java_does() {
    let input = [(
        "$.obj",
        json!({"a": 1, "list": ["x y", true, null, 2.5], "inner": {"b": {}, "c": [[]]}}),
    )];
    assert_eq!(
        eval("States.Format('{}', $.obj)", &input),
        json!("{a=1, list=[x y, true, null, 2.5], inner={b={}, c=[[]]}}")
    );
    assert_eq!(
        eval("States.Format('{}', States.Array(1, 2))", &[]),
        json!("[1, 2]")
    );
}

#[test]
fn format_refuses_a_mismatched_count() {
    // A template from a path is only known at run time.
    let cause = failure("States.Format($.t, 1)", &[("$.t", json!("{} and {}"))]);
    assert!(
        cause.contains("2 {} placeholders but 1 argument"),
        "{cause}"
    );
    assert!(failure("States.Format($.t)", &[("$.t", json!(3))]).contains("not a string"));
    // A quoted template is checked when the definition loads.
    let err = parse_error("States.Format('{} {}', 1)");
    assert!(err.starts_with("States.Format:"), "{err}");
    assert!(err.contains("2 {} placeholders but 1 argument"), "{err}");
    assert_eq!(
        parse_error("States.Format()"),
        "States.Format takes at least 1 argument, not 0"
    );
}

#[test]
fn string_to_json_parses_and_refuses_what_is_not_json() {
    assert_eq!(
        eval(
            "States.StringToJson($.escapedJsonString)",
            &[("$.escapedJsonString", json!("{\"foo\": \"bar\"}"))]
        ),
        json!({"foo": "bar"})
    );
    assert_eq!(
        eval(
            "States.StringToJson($.someString)",
            &[("$.someString", json!("{\"number\": 20}"))]
        ),
        json!({"number": 20})
    );
    assert!(failure("States.StringToJson('{nope')", &[]).contains("not JSON text"));
    assert_eq!(eval("States.StringToJson('')", &[]), json!(null));
    assert_eq!(eval("States.StringToJson(' ')", &[]), json!(null));
    assert_eq!(eval("States.StringToJson('-0')", &[]).to_string(), "0");
    assert_eq!(
        eval("States.StringToJson('[-0.0]')", &[]).to_string(),
        "[0]"
    );
    assert!(failure("States.StringToJson(5)", &[]).contains("not a string"));
}

#[test]
fn json_to_string_writes_compact_json_of_a_path() {
    assert_eq!(
        eval(
            "States.JsonToString($.someJson)",
            &[("$.someJson", json!({"name": "Foo", "year": 2020}))]
        ),
        json!("{\"name\":\"Foo\",\"year\":2020}")
    );
    assert_eq!(
        parse_error("States.JsonToString('{}')"),
        "States.JsonToString takes a path argument"
    );
    assert_eq!(
        parse_error("States.JsonToString($.a, $.b)"),
        "States.JsonToString takes 1 argument, not 2"
    );
}

#[test]
fn array_gathers_its_arguments_in_order() {
    assert_eq!(
        eval("States.Array($.Id)", &[("$.Id", json!(123456))]),
        json!([123456])
    );
    assert_eq!(
        eval(
            "States.Array('Foo', 2020, $.someJson, null)",
            &[("$.someJson", json!({"random": "abcdefg"}))]
        ),
        json!(["Foo", 2020, {"random": "abcdefg"}, null])
    );
    assert_eq!(eval("States.Array()", &[]), json!([]));
    assert_eq!(
        eval("States.Array( true ,false,-0.25 )", &[]),
        json!([true, false, -0.25])
    );
}

#[test]
fn array_partition_chunks_with_a_short_last_chunk() {
    let input = [("$.inputArray", nine())];
    assert_eq!(
        eval("States.ArrayPartition($.inputArray,4)", &input),
        json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
    );
    assert_eq!(
        eval("States.ArrayPartition(States.Array(), 3)", &[]),
        json!([])
    );
    // A non-integer chunk size is rounded to the nearest integer.
    assert_eq!(
        eval("States.ArrayPartition($.inputArray, 4.4)", &input),
        json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
    );
    assert_eq!(
        eval("States.ArrayPartition($.inputArray, 2147483647)", &input),
        json!([nine()])
    );
    for bad in ["0", "-1", "0.4", "'2'", "null"] {
        let cause = failure(
            &format!("States.ArrayPartition($.inputArray, {bad})"),
            &input,
        );
        assert!(cause.contains("chunk size"), "{bad}: {cause}");
    }
    assert!(failure("States.ArrayPartition('x', 2)", &[]).contains("not an array"));
}

#[test]
fn array_partition_and_contains_keep_to_the_payload_quota() {
    let big = json!(vec!["x".repeat(1000); 300]);
    let input = [("$.big", big)];
    assert!(failure("States.ArrayPartition($.big, 2)", &input).contains("payload quota"));
    assert!(failure("States.ArrayContains($.big, 'x')", &input).contains("payload quota"));
}

#[test]
fn array_contains_compares_json_values() {
    let input = [("$.inputArray", nine()), ("$.lookingFor", json!(5))];
    assert_eq!(
        eval("States.ArrayContains($.inputArray, $.lookingFor)", &input),
        json!(true)
    );
    assert_eq!(
        eval("States.ArrayContains($.inputArray, 10)", &input),
        json!(false)
    );
    assert_eq!(
        eval("States.ArrayContains($.inputArray, 5.0)", &input),
        json!(true)
    );
    let objects = [("$.a", json!([{"x": 1, "y": [2]}, "s"]))];
    assert_eq!(
        eval(
            "States.ArrayContains($.a, $.o)",
            &[objects[0].clone(), ("$.o", json!({"y": [2], "x": 1}))]
        ),
        json!(true)
    );
    assert_eq!(
        eval("States.ArrayContains($.a, 's')", &objects),
        json!(true)
    );
    assert!(failure("States.ArrayContains($.lookingFor, 5)", &input).contains("not an array"));
}

#[test]
fn array_range_counts_up_and_down_to_1000_elements() {
    assert_eq!(
        eval("States.ArrayRange(1, 9, 2)", &[]),
        json!([1, 3, 5, 7, 9])
    );
    assert_eq!(
        eval("States.ArrayRange(1, 10, 2)", &[]),
        json!([1, 3, 5, 7, 9])
    );
    assert_eq!(eval("States.ArrayRange(5, 1, -2)", &[]), json!([5, 3, 1]));
    assert_eq!(eval("States.ArrayRange(5, 1, 1)", &[]), json!([]));
    assert_eq!(
        eval("States.ArrayRange(1.4, 2.6, 1)", &[]),
        json!([1, 2, 3])
    );
    let thousand = eval("States.ArrayRange(0, 999, 1)", &[]);
    assert_eq!(thousand.as_array().map(Vec::len), Some(1000));
    assert!(failure("States.ArrayRange(0, 1000, 1)", &[]).contains("1001 elements"));
    assert!(failure("States.ArrayRange(1, 9, 0)", &[]).contains("must not be 0"));
    assert!(failure("States.ArrayRange(0.3, 9, 0.4)", &[]).contains("must not be 0"));
    assert!(failure("States.ArrayRange('1', 9, 1)", &[]).contains("not an integer"));
    assert!(failure(
        "States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)",
        &[]
    )
    .contains("at most 1000"));
    assert_eq!(
        parse_error("States.ArrayRange(1, 9)"),
        "States.ArrayRange takes 3 arguments, not 2"
    );
}

#[test]
fn array_get_item_reads_an_index_in_bounds() {
    let input = [("$.inputArray", nine()), ("$.index", json!(5))];
    assert_eq!(
        eval("States.ArrayGetItem($.inputArray, $.index)", &input),
        json!(6)
    );
    assert_eq!(
        eval("States.ArrayGetItem($.inputArray, 0.0)", &input),
        json!(1)
    );
    assert!(failure("States.ArrayGetItem($.inputArray, 9)", &input).contains("out of bounds"));
    for bad in ["-1", "1.5", "'1'"] {
        let cause = failure(&format!("States.ArrayGetItem($.inputArray, {bad})"), &input);
        assert!(cause.contains("non-negative integer"), "{bad}: {cause}");
    }
}

#[test]
fn array_length_and_unique() {
    let input = [("$.inputArray", nine())];
    assert_eq!(eval("States.ArrayLength($.inputArray)", &input), json!(9));
    assert_eq!(
        parse_error("States.ArrayLength($.a, $.b)"),
        "States.ArrayLength takes 1 argument, not 2"
    );
    assert!(failure("States.ArrayLength('abc')", &[]).contains("not an array"));
    assert_eq!(
        eval(
            "States.ArrayUnique($.inputArray)",
            &[("$.inputArray", json!([1, 2, 3, 3, 3, 3, 3, 3, 4]))]
        ),
        json!([1, 2, 3, 4])
    );
    assert_eq!(
        eval(
            "States.ArrayUnique($.a)",
            &[("$.a", json!([3, {"k": [1]}, "3", 3.0, {"k": [1]}, 1]))]
        ),
        json!([3, {"k": [1]}, "3", 1])
    );
    assert!(failure("States.ArrayUnique(null)", &[]).contains("not an array"));
}

#[test]
fn base64_encodes_and_decodes_up_to_10000_characters() {
    assert_eq!(
        eval(
            "States.Base64Encode($.input)",
            &[("$.input", json!("Data to encode"))]
        ),
        json!("RGF0YSB0byBlbmNvZGU=")
    );
    // The guide prints "Decoded data" here: its example input decodes to this.
    assert_eq!(
        eval(
            "States.Base64Decode($.base64)",
            &[("$.base64", json!("RGF0YSB0byBlbmNvZGU="))]
        ),
        json!("Data to encode")
    );
    assert_eq!(eval("States.Base64Decode('RGF0YQ')", &[]), json!("Data"));
    assert_eq!(
        eval("States.Base64Decode('RGF0\r\nYQ==')", &[]),
        json!("Data")
    );
    let long = [
        ("$.long", json!("é".repeat(10_001))),
        ("$.ok", json!("é".repeat(10_000))),
    ];
    assert!(eval("States.Base64Encode($.ok)", &long).is_string());
    assert!(failure("States.Base64Encode($.long)", &long).contains("10001 characters"));
    assert!(failure("States.Base64Decode($.long)", &long).contains("at most 10000"));
    assert!(failure("States.Base64Decode('***')", &[]).contains("not Base64"));
    assert!(failure("States.Base64Decode('/w==')", &[]).contains("not UTF-8"));
    assert!(failure("States.Base64Encode(1)", &[]).contains("not a string"));
}

#[test]
fn hash_gives_lowercase_hex_for_each_algorithm() {
    let input = [
        ("$.Data", json!("input data")),
        ("$.Algorithm", json!("SHA-1")),
    ];
    for (call, digest) in [
        // The guide prints this digest with one '4' missing.
        (
            "States.Hash($.Data, $.Algorithm)",
            "aaff4a450a104cd177d28d18d74485e8cae074b7",
        ),
        (
            "States.Hash('input data', 'MD5')",
            "812f45842bc6d66ee14572ce20db8e86",
        ),
        (
            "States.Hash('input data', 'SHA-256')",
            "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3",
        ),
        (
            "States.Hash('', 'SHA-384')",
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
        ),
    ] {
        assert_eq!(eval(call, &input), json!(digest), "{call}");
    }
    let sha512 = eval("States.Hash('x', 'SHA-512')", &[]);
    assert_eq!(sha512.as_str().map(str::len), Some(128));
    // Data that is not a string is hashed as its JSON text.
    assert_eq!(
        eval("States.Hash($.n, 'MD5')", &[("$.n", json!([1]))]),
        eval("States.Hash('[1]', 'MD5')", &[])
    );
    assert!(failure("States.Hash('x', 'sha-1')", &[]).contains("not one of MD5"));
    assert!(failure("States.Hash('x', 5)", &[]).contains("not a string"));
    let long = [("$.long", json!("a".repeat(10_001)))];
    assert!(failure("States.Hash($.long, 'MD5')", &long).contains("at most 10000"));
}

#[test]
fn json_merge_is_shallow_and_keeps_the_first_objects_order() {
    let input = [
        ("$.json1", json!({"a": {"a1": 1, "a2": 2}, "b": 2})),
        ("$.json2", json!({"a": {"a3": 1, "a4": 2}, "c": 3})),
    ];
    assert_eq!(
        eval("States.JsonMerge($.json1, $.json2, false)", &input),
        json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})
    );
    let ordered = [
        ("$.x", json!({"z": 1, "a": 2})),
        ("$.y", json!({"m": 3, "z": 4})),
    ];
    let merged = eval("States.JsonMerge($.x, $.y, false)", &ordered);
    let names: Vec<&str> = merged.as_object().map_or(Vec::new(), |fields| {
        fields.keys().map(String::as_str).collect()
    });
    // Without serde_json's preserve_order every map is sorted.
    let keeps_order = Map::from_iter([
        ("b".to_string(), Value::Null),
        ("a".to_string(), Value::Null),
    ])
    .keys()
    .next()
    .is_some_and(|first| first == "b");
    let expected = if keeps_order {
        ["z", "a", "m"]
    } else {
        ["a", "m", "z"]
    };
    assert_eq!(names, expected);
    assert!(failure("States.JsonMerge($.json1, $.json2, true)", &input).contains("shallow"));
    assert!(failure("States.JsonMerge($.json1, $.json2, 'false')", &input).contains("not false"));
    assert!(failure("States.JsonMerge($.json1, 3, false)", &input).contains("not a JSON object"));
}

#[test]
fn math_random_stays_in_range_and_repeats_for_a_seed() {
    let input = [("$.start", json!(1)), ("$.end", json!(999))];
    for _ in 0..200 {
        let n = eval("States.MathRandom($.start, $.end)", &input);
        assert!(n.as_i64().is_some_and(|n| (1..999).contains(&n)), "{n}");
    }
    let first = eval("States.MathRandom(0, 1000000, 42)", &[]);
    for _ in 0..5 {
        assert_eq!(eval("States.MathRandom(0, 1000000, 42)", &[]), first);
    }
    assert_eq!(eval("States.MathRandom(7, 8)", &[]), json!(7));
    // Non-integers round to the nearest integer.
    assert_eq!(eval("States.MathRandom(6.6, 7.6, 1)", &[]), json!(7));
    assert!(failure("States.MathRandom(5, 5)", &[]).contains("less than the end"));
    assert!(failure("States.MathRandom('1', 5)", &[]).contains("not an integer"));
    assert!(failure("States.MathRandom(1, 5, 'seed')", &[]).contains("seed"));
    assert_eq!(
        parse_error("States.MathRandom(1)"),
        "States.MathRandom takes 2 or 3 arguments, not 1"
    );
}

#[test]
fn math_add_sums_32_bit_integers() {
    let input = [("$.value1", json!(111)), ("$.step", json!(-1))];
    assert_eq!(eval("States.MathAdd($.value1, $.step)", &input), json!(110));
    assert_eq!(eval("States.MathAdd(1.6, 1)", &[]), json!(3));
    // Each argument is rounded, a half upwards, before the sum.
    assert_eq!(eval("States.MathAdd(-1.49, -1.5)", &[]), json!(-2));
    assert_eq!(eval("States.MathAdd(-0.5, 0.5)", &[]), json!(1));
    assert_eq!(eval("States.MathAdd(2.5, -2.5)", &[]), json!(1));
    assert_eq!(
        eval("States.MathAdd(0.49999999999999994, 0)", &[]),
        json!(0)
    );
    assert_eq!(
        eval("States.MathAdd(2147483647, 2147483647)", &[]),
        json!(4294967294_i64)
    );
    assert_eq!(
        eval("States.MathAdd(-2147483648, 0)", &[]),
        json!(-2147483648_i64)
    );
    assert!(failure("States.MathAdd(2147483648, 0)", &[]).contains("outside the range"));
    assert!(failure("States.MathAdd(1, '2')", &[]).contains("not an integer"));
    assert!(failure("States.MathAdd(1, 1e300)", &[]).contains("out of range"));
    assert!(parse_error("States.MathAdd(1, 1e400)").contains("not a number"));
}

#[test]
fn string_split_splits_on_every_delimiter_character() {
    for (text, splitter, parts) in [
        ("1,2,3,4,5", ",", json!(["1", "2", "3", "4", "5"])),
        (
            "This.is+a,test=string",
            ".+,=",
            json!(["This", "is", "a", "test", "string"]),
        ),
    ] {
        let input = [
            ("$.inputString", json!(text)),
            ("$.splitter", json!(splitter)),
        ];
        assert_eq!(
            eval("States.StringSplit($.inputString, $.splitter)", &input),
            parts
        );
    }
    assert_eq!(
        eval("States.StringSplit(',a,,b,', ',')", &[]),
        json!(["a", "b"])
    );
    assert_eq!(eval("States.StringSplit('ab', '')", &[]), json!(["ab"]));
    assert!(failure("States.StringSplit(1, ',')", &[]).contains("not a string"));
}

#[test]
fn uuid_is_a_fresh_version_4_uuid() {
    let a = eval("States.UUID()", &[]);
    let b = eval("States.UUID()", &[]);
    assert_ne!(a, b);
    let text = a.as_str().unwrap_or_default();
    assert_eq!(text.len(), 36);
    assert_eq!(text.chars().nth(14), Some('4'));
    assert!(text
        .chars()
        .all(|c| c == '-' || (c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
    assert_eq!(
        parse_error("States.UUID(1)"),
        "States.UUID takes 0 arguments, not 1"
    );
}

#[test]
fn nested_calls_evaluate_inside_out() {
    // The guide's nine nested functions, with a template of two placeholders for
    // its two arguments (the guide's '{}.{}.{}' would be refused; see below).
    let arn = "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), {})";
    let text = format!(
        "States.Format('{{}}.{{}}', {}, {})",
        arn.replace("{}", "0"),
        arn.replace("{}", "1")
    );
    let input = [(
        "$.ImageRecipe.Arn",
        json!("arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.2.3"),
    )];
    assert_eq!(eval(&text, &input), json!("1.2"));
    let as_written = text.replacen("'{}.{}'", "'{}.{}.{}'", 1);
    assert!(parse_error(&as_written).contains("3 {} placeholders but 2 arguments"));
    // An inner failure names the inner call.
    let cause = failure("States.ArrayLength(States.StringToJson('[1'))", &[]);
    assert!(cause.starts_with("States.StringToJson('[1'): "), "{cause}");
}

#[test]
fn nesting_is_limited_to_10_functions() {
    let nested = |depth: usize| format!("{}1{}", "States.Array(".repeat(depth), ")".repeat(depth));
    assert!(Intrinsic::parse(&nested(10)).is_ok());
    assert!(parse_error(&nested(11)).contains("more than 10"));
    assert!(parse_error(&nested(100_000)).contains("more than 10"));
}

#[test]
fn paths_may_hold_commas_in_brackets_and_read_the_context() {
    let input = [
        ("$['a,b']", json!("comma")),
        ("$$.Execution.Id", json!("exec-1")),
        ("$", json!({"whole": true})),
    ];
    assert_eq!(
        eval("States.Array( $['a,b'] ,$$.Execution.Id,$ )", &input),
        json!(["comma", "exec-1", {"whole": true}])
    );
    let cause = failure("States.ArrayLength($.missing)", &[]);
    assert_eq!(
        cause,
        "States.ArrayLength($.missing): the JSONPath $.missing matches nothing"
    );
    let err = parse_error("States.Array($.a[*])");
    assert!(err.starts_with("States.Array: "), "{err}");
    assert!(parse_error("States.Array($['a)").contains("not closed"));
}

#[test]
fn display_gives_the_call_as_written() {
    let text = "States.Format('{} \\{', States.Array( 1 ))";
    let call = Intrinsic::parse(text).expect("parses");
    assert_eq!(call.to_string(), text);
    assert_eq!(
        Intrinsic::parse(&format!("  {text} ")).expect("parses"),
        call
    );
}

#[test]
fn syntax_errors_name_the_function() {
    assert_eq!(
        parse_error("States.Foo(1)"),
        "intrinsic function States.Foo is not supported"
    );
    assert_eq!(
        parse_error("States.Array(States.Nope())"),
        "intrinsic function States.Nope is not supported"
    );
    for (text, problem) in [
        ("States.Format('abc)", "not closed"),
        ("States.Array(1", "')' is missing"),
        ("States.Array(1))", "after the call"),
        ("States.Array(1,)", "argument is missing"),
        ("States.Array(,1)", "argument is missing"),
        ("States.Array(1 2)", "unexpected '2'"),
        ("States.Array(01)", "not a number"),
        ("States.Array(1.)", "not a number"),
        ("States.Array(truthy)", "unexpected \"truthy\""),
        (r"States.Format('a\nb')", "not an escape"),
        (r"States.Format('a\", "lone"),
        ("States.Array(\"x\")", "unexpected '\"'"),
    ] {
        let err = parse_error(text);
        assert!(err.contains(problem), "{text}: {err}");
        assert!(err.contains("States."), "{text}: {err}");
    }
    assert!(parse_error("States.Format ('x')").contains("followed by '('"));
    assert!(parse_error("$.a").contains("not an intrinsic function call"));
    assert!(parse_error("").contains("not an intrinsic function call"));
}

/// Odd strings never panic: each parses or is refused, and what parses evaluates
/// or fails.
#[test]
fn odd_input_never_panics() {
    let names = [
        "Format",
        "Array",
        "ArrayRange",
        "ArrayGetItem",
        "Hash",
        "MathRandom",
        "JsonMerge",
        "StringSplit",
        "Base64Decode",
        "UUID",
        "Nope",
    ];
    let pieces = [
        "States.Array(",
        "States.UUID()",
        "(",
        ")",
        "'",
        "\\",
        "{",
        "}",
        "{}",
        ",",
        ", ",
        " ",
        "$",
        "$$",
        ".a",
        ".s",
        "[",
        "]",
        "['x']",
        "[0]",
        "1",
        "-",
        "0.5",
        "e9",
        "true",
        "null",
        "'MD5'",
        "'é'",
        "\u{0}",
        "\"",
    ];
    let everything = json!({"a": [1, 2], "s": "x,y"});
    let resolve = |_: &PathSource| Some(everything.clone());
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % bound as u64).unwrap_or(0)
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let mut text = format!("States.{}(", names[next(names.len())]);
        for _ in 0..next(10) {
            text.push_str(pieces[next(pieces.len())]);
        }
        if next(4) > 0 {
            text.push(')');
        }
        if let Ok(call) = Intrinsic::parse(&text) {
            parsed += 1;
            let _ = call.evaluate(&resolve);
        }
    }
    for text in [
        "States.ArrayRange(-9223372036854775808, 9223372036854775807, -1)",
        "States.ArrayRange(9223372036854775807, -9223372036854775808, -1)",
        "States.ArrayPartition($.a, 18446744073709551615)",
        "States.ArrayGetItem($.a, 18446744073709551615)",
        "States.MathRandom(-9223372036854775808, 9223372036854775807)",
        "States.MathRandom(1e300, 1e301, -1e300)",
        "States.MathAdd(-1e300, 1e300)",
        "States.Format($.s)",
        "States.StringSplit($.s, $.s)",
    ] {
        let call = Intrinsic::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"));
        let _ = call.evaluate(&resolve);
    }
    assert!(
        parsed > 100,
        "the generator should reach valid calls, not {parsed}"
    );
}
