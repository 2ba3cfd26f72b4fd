//! Regenerates docs/cli.md and docs/man/*.1 from the clap definitions, and the runbook's
//! screenshots (`make docs`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = coldpay_tests::workspace_root();
    std::fs::write(
        root.join("docs/cli.md"),
        coldpay_tests::docs::cli_markdown(),
    )?;
    coldpay_tests::docs::write_man_pages(&root.join("docs/man"))?;
    coldpay_tests::screens::write_screenshots(&root.join("docs/img"))?;
    println!("wrote docs/cli.md, docs/man/ and the screenshots in docs/img/");
    Ok(())
}
