// `sqlx::migrate!` embeds the migrations, and `include_str!` the state machine, at
// compile time; rebuild when either changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=../statemachines");
}
