//! `wisaw serve --tls` as a process: a wrong certificate or key stops it at start with a
//! message that names the file, not a panic; the local authority's files are made once.

use std::process::{Command, Stdio};

fn serve(args: &[&str], data_dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wisaw"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running wisaw serve")
}

#[test]
fn a_wrong_certificate_or_key_is_a_clear_start_up_error() {
    let data = tempfile::tempdir().unwrap();
    let junk = data.path().join("junk.pem");
    std::fs::write(&junk, "-----BEGIN NOTHING-----\n").unwrap();
    let missing = data.path().join("missing.pem");
    for (cert, key, named) in [(&missing, &junk, "missing.pem"), (&junk, &junk, "junk.pem")] {
        let output = serve(
            &[
                "--tls",
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
            ],
            data.path(),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains("--tls-cert") && stderr.contains(named),
            "{stderr}"
        );
    }
    // A certificate without its key is refused by the command line itself.
    let output = serve(
        &["--tls", "--tls-cert", junk.to_str().unwrap()],
        data.path(),
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tls-key"));
}
