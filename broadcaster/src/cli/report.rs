//! `report`: one row per payout, as a table, CSV or JSON.

use super::context::Ctx;
use crate::error::Result;
use crate::journal::Journal;
use crate::report::Filter;

/// What `report` asks for.
pub(crate) struct ReportArgs {
    pub(crate) batch: Option<String>,
    pub(crate) since: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) format: Option<String>,
}

/// `report`: the selected rows in the format asked (JSON with `--json` unless `--format`).
pub(crate) fn run(c: &Ctx, journal: &Journal, a: ReportArgs) -> Result<()> {
    super::status::require_batch(journal, a.batch.as_deref())?;
    let filter = Filter {
        batch: a.batch,
        since_ms: a
            .since
            .map(|s| Filter::parse_since(&s, crate::journal::now_ms()))
            .transpose()?,
        statuses: a
            .status
            .map(|s| Filter::parse_statuses(&s))
            .transpose()?
            .unwrap_or_default(),
    };
    let rows = crate::report::select(journal, &filter)?;
    let format = a
        .format
        .unwrap_or_else(|| if c.json { "json" } else { "text" }.into());
    match format.as_str() {
        "csv" => print!("{}", crate::report::to_csv(&rows)),
        "json" => println!("{}", super::output::to_json(&rows)),
        _ => println!("{}", crate::report::to_table(&rows)),
    }
    Ok(())
}
