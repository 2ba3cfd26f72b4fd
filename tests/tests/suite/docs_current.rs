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

/// The runbook's screenshots exist and match today's formats: the review screen shows the
/// sample request's confirmation code (it changes with the request digest), and the PNG part
/// scans as a part of a sign request.
#[test]
fn runbook_screenshots_are_current() {
    let root = coldpay_tests::workspace_root();
    let img = root.join("docs/img");
    let runbook = std::fs::read_to_string(root.join("docs/runbook.md")).unwrap();
    for name in ["review-screen.png", "request-part.png"] {
        assert!(
            runbook.contains(&format!("(img/{name})")),
            "{name} not in the runbook"
        );
        assert!(img.join(name).exists(), "docs/img/{name}: run `make docs`");
    }
    let text = std::fs::read_to_string(img.join("review-screen.txt")).unwrap();
    let code = coldpay_tests::screens::sample_request().confirmation_code();
    assert!(
        text.contains(&code),
        "docs/img/review-screen.txt does not show the sample request's code {code}: run `make docs`"
    );
    let png = std::fs::read(img.join("request-part.png")).unwrap();
    let parts = coldpay_shared::qr::decode_image_bytes(&png).unwrap();
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert!(
        parts[0].to_ascii_lowercase().starts_with("ur:coldpay-req/"),
        "{}",
        parts[0]
    );
}
