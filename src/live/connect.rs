//! Opening a connection to the target: TCP to one of its addresses, then TLS for an `https://`
//! target. Requests ([`super::client`]) and sockets ([`super::handshake`]) go over the same kind
//! of connection, so that both trust the same certificates and fail with the same words.

use super::addresses::Addresses;
use super::client::{ClientError, transport};
use super::tls::{Access, Stream, Trust, client_config, explain};
use tokio::net::TcpStream;

/// Where a target is: whether over TLS, and its `host:port` as written in its URL.
pub(super) struct Place<'a> {
    pub tls: bool,
    /// `host[:port]`, as the `Host` header wants it.
    pub authority: &'a str,
}

impl<'a> Place<'a> {
    /// The place of `base` (`http://host:port` or `https://…`, a trailing `/` allowed).
    pub fn of(base: &'a str) -> Result<Place<'a>, ClientError> {
        let (tls, authority) = match (base.strip_prefix("https://"), base.strip_prefix("http://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => {
                return Err(transport(format!(
                    "{base}: targets are http:// or https:// URLs"
                )));
            }
        };
        Ok(Place {
            tls,
            authority: authority.trim_end_matches('/'),
        })
    }

    /// `host:port`, the scheme's port when the URL names none (an IPv6 literal ends in ']').
    fn address(&self) -> String {
        match self.authority.rsplit_once(':') {
            Some((_, port)) if !port.ends_with(']') => self.authority.to_owned(),
            _ => format!("{}:{}", self.authority, if self.tls { 443 } else { 80 }),
        }
    }
}

/// A connection to `place`, at an address `addresses` knows for it, over TLS as `access` trusts
/// when the target is `https://`.
pub(super) async fn open(
    place: &Place<'_>,
    access: &Access,
    addresses: &Addresses,
) -> Result<Stream, ClientError> {
    let address = place.address();
    let connect = async { TcpStream::connect(&*addresses.of(&address).await?).await };
    let tcp = connect
        .await
        .map_err(|e| transport(format!("connecting to {address}: {e}")))?;
    tcp.set_nodelay(true).map_err(transport)?;
    if !place.tls {
        return Ok(Stream::Plain(tcp));
    }
    let config = match &access.tls {
        Some(config) => config.clone(),
        None => client_config(&Trust::default()).map_err(transport)?,
    };
    let host = address.rsplit_once(':').map_or(place.authority, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| transport(format!("{host}: {e}")))?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            let authority = place.authority;
            transport(format!("TLS handshake with {authority}: {}", explain(&e)))
        })?;
    Ok(Stream::Tls(Box::new(tls)))
}
