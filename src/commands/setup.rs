//! `omnisim setup SCENARIO --target URL --out FILE`: creates a scenario's platform side once (org,
//! queues, agents, flows, bots, channels) and writes where it is and what it is to FILE, which the
//! shards of a test then join (`omnisim run --join FILE --shard I/N`).

use anyhow::{Context, bail};
use omnisim::live::client::Client;
use omnisim::live::setup::{self, Prepared};
use omnisim::live::{self, Target};
use omnisim::scenario::Scenario;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SetupArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// The target (the org is created with its admin token).
    #[command(flatten)]
    target: super::target::TargetArgs,
    /// Where the platform side is written: the target's URL, the org's and the agents' tokens
    /// (created readable by its owner only).
    #[arg(long, value_name = "FILE", default_value = "target.json")]
    out: PathBuf,
}

pub fn run(args: SetupArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario)?;
    let Target::Url {
        url,
        admin_token,
        access,
    } = args.target.target()?
    else {
        bail!("setup needs --target: the shards that join it must all reach the same server");
    };
    let client = Client::with_access(&url, access);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let world = runtime
        .block_on(setup::create(&client, &admin_token, &scenario))
        .map_err(|(what, e)| live::RunError::Setup {
            url: url.clone(),
            what,
            source: e,
        })?;
    let prepared = Prepared {
        url,
        scenario: scenario.name.clone(),
        world,
    };
    let json = serde_json::to_string_pretty(&prepared).context("serializing the platform side")?;
    super::write_private(&args.out, json.as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: org {} with {} channels and {} agents on {}",
        args.out.display(),
        prepared.world.org,
        prepared.world.channels.len(),
        prepared.world.agents.len(),
        prepared.url
    );
    Ok(())
}
