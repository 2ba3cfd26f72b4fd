//! docs/cli.md matches the clap definitions, and the man pages exist.

#[test]
fn cli_reference_is_current() {
    let root = coldpay_tests::workspace_root();
    let on_disk = std::fs::read_to_string(root.join("docs/cli.md")).expect("docs/cli.md");
    assert!(
        on_disk == coldpay_tests::docs::cli_markdown(),
        "docs/cli.md is stale: run `make docs`"
    );
    for page in ["coldpay-signer.1", "coldpay-broadcaster.1"] {
        let p = root.join("docs/man").join(page);
        assert!(
            std::fs::read_to_string(&p)
                .expect("man page")
                .contains(".TH"),
            "{}",
            p.display()
        );
    }
    // Every contract command named in the issues appears.
    for needle in [
        "`coldpay-signer sign`",
        "`coldpay-signer keys export-watch`",
        "`coldpay-broadcaster track`",
        "`coldpay-broadcaster tx decode`",
        "--qr-png",
        "--qr-image",
        "--resign-expired",
    ] {
        assert!(on_disk.contains(needle), "{needle}");
    }
}
