//! Regenerates docs/cli.md and docs/man/*.1 from the clap definitions (`make docs`).

fn main() -> std::io::Result<()> {
    let root = coldpay_tests::workspace_root();
    std::fs::write(
        root.join("docs/cli.md"),
        coldpay_tests::docs::cli_markdown(),
    )?;
    coldpay_tests::docs::write_man_pages(&root.join("docs/man"))?;
    println!("wrote docs/cli.md and docs/man/");
    Ok(())
}
