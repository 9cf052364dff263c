//! The options `run` and `conform` share to name a target and get in: its URL, its admin token
//! (given, from the environment, or from a file so that it stays out of shell history and CI
//! logs), whom to trust over TLS, and extra headers.

use anyhow::{Context, bail};
use omnisim::live::Target;
use omnisim::live::tls::{Access, Trust};
use std::io::Read;
use std::path::PathBuf;

/// A token file longer than this is not a token file.
const MAX_TOKEN_FILE: u64 = 4096;

#[derive(clap::Args, Debug)]
pub struct TargetArgs {
    /// Base URL of a server speaking protocol v1, http:// or https://; without it the reference
    /// server runs in-process.
    #[arg(long)]
    pub target: Option<String>,
    /// The target's admin token; `--token` is its older name. Prefer OMNISIM_ADMIN_TOKEN or
    /// --admin-token-file, which keep it out of shell history.
    #[arg(
        long,
        alias = "token",
        env = "OMNISIM_ADMIN_TOKEN",
        hide_env_values = true,
        conflicts_with = "admin_token_file"
    )]
    pub admin_token: Option<String>,
    /// A file whose first line is the admin token.
    #[arg(long, value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// A PEM file of CA certificates to trust beside the public roots (a private CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Trust any TLS certificate: for a self-signed test server only.
    #[arg(long, conflicts_with = "ca_cert")]
    pub insecure: bool,
    /// A header sent with every request and socket handshake, `Name: value` (repeatable): for
    /// gateways that want an API key.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Send requests over HTTP/2 from the first byte (prior knowledge): many at once on one
    /// connection. The target must speak it (the reference server does); sockets stay HTTP/1.1.
    #[arg(long)]
    pub http2: bool,
}

impl TargetArgs {
    /// The admin token: given, from the environment, or from --admin-token-file.
    fn token(&self) -> anyhow::Result<Option<String>> {
        let Some(path) = &self.admin_token_file else {
            return Ok(self.admin_token.clone());
        };
        let shown = path.display();
        let mut text = String::new();
        std::fs::File::open(path)
            .with_context(|| format!("opening --admin-token-file {shown}"))?
            .take(MAX_TOKEN_FILE)
            .read_to_string(&mut text)
            .with_context(|| format!("reading --admin-token-file {shown}"))?;
        match text.lines().next().map(str::trim) {
            Some(token) if !token.is_empty() => Ok(Some(token.to_owned())),
            _ => bail!("--admin-token-file {shown}: the first line holds no token"),
        }
    }

    /// TLS trust and extra headers; `--insecure` is announced on standard error.
    pub fn access(&self) -> anyhow::Result<Access> {
        if self.insecure {
            eprintln!(
                "warning: --insecure: any TLS certificate is accepted; the target is not authenticated"
            );
        }
        let trust = Trust {
            ca_cert: self.ca_cert.clone(),
            insecure: self.insecure,
        };
        let access = Access::new(&trust, &self.headers)?;
        Ok(Access {
            http2: self.http2,
            ..access
        })
    }

    /// The target: the embedded reference server, or the URL with its token, TLS trust and
    /// headers.
    pub fn target(&self) -> anyhow::Result<Target> {
        let Some(url) = &self.target else {
            return Ok(Target::Embedded { http2: self.http2 });
        };
        let Some(admin_token) = self.token()? else {
            bail!("--target needs --admin-token, OMNISIM_ADMIN_TOKEN or --admin-token-file");
        };
        Ok(Target::Url {
            url: url.clone(),
            admin_token,
            access: self.access()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        target: TargetArgs,
    }

    fn parse(args: &[&str]) -> Result<TargetArgs, clap::Error> {
        Wrap::try_parse_from(std::iter::once("omnisim").chain(args.iter().copied()))
            .map(|w| w.target)
    }

    #[test]
    fn the_admin_token_comes_from_a_file_first_line_only() {
        let path = std::env::temp_dir().join(format!("omnisim-token-{}", std::process::id()));
        std::fs::write(&path, "  tok-0123456789abcdef  \nsecond line\n").unwrap();
        let file = path.to_str().unwrap();
        let args = parse(&["--target", "http://x", "--admin-token-file", file]).unwrap();
        assert_eq!(
            args.token().unwrap().as_deref(),
            Some("tok-0123456789abcdef")
        );
        std::fs::write(&path, "\n").unwrap();
        let empty = args.token().unwrap_err().to_string();
        assert!(empty.contains("holds no token"), "{empty}");
        std::fs::remove_file(&path).unwrap();
        let missing = args.token().unwrap_err().to_string();
        assert!(missing.contains("opening --admin-token-file"), "{missing}");
    }

    #[test]
    fn a_target_needs_a_token_and_trust_is_one_or_the_other() {
        let no_token = parse(&["--target", "http://x"]).unwrap().target();
        if std::env::var_os("OMNISIM_ADMIN_TOKEN").is_none() {
            assert!(
                no_token
                    .unwrap_err()
                    .to_string()
                    .contains("--admin-token-file")
            );
        }
        assert!(parse(&["--insecure", "--ca-cert", "ca.pem"]).is_err());
        assert!(parse(&["--admin-token", "t", "--admin-token-file", "f"]).is_err());
        let headers = parse(&["--header", "X-A: 1", "--header", "X-B: 2"]).unwrap();
        assert_eq!(headers.headers.len(), 2);
        assert!(matches!(
            parse(&[]).unwrap().target(),
            Ok(Target::Embedded { http2: false })
        ));
    }

    #[test]
    fn http2_reaches_the_embedded_server_and_a_target_alike() {
        let embedded = parse(&["--http2"]).unwrap().target();
        assert!(matches!(embedded, Ok(Target::Embedded { http2: true })));
        let url = parse(&["--target", "http://x", "--admin-token", "t", "--http2"]);
        match url.unwrap().target() {
            Ok(Target::Url { access, .. }) => assert!(access.http2),
            other => panic!("{other:?}"),
        }
        let plain = parse(&["--target", "http://x", "--admin-token", "t"]);
        match plain.unwrap().target() {
            Ok(Target::Url { access, .. }) => assert!(!access.http2),
            other => panic!("{other:?}"),
        }
    }
}
