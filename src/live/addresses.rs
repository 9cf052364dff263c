//! The target's socket addresses, looked up at most once a minute. A run opens a stream per
//! customer, thousands a second; a target named by host name would otherwise cost a name lookup
//! each time (a blocking thread and a resolver query), and a resolver that slows down would slow
//! every customer with it. A minute still follows a target whose addresses change in a long run.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a lookup is used for.
const TTL: Duration = Duration::from_secs(60);

/// The last lookup: of which `host:port`, when, and what it gave.
type Lookup = (String, Instant, Arc<[SocketAddr]>);

/// The addresses of the target's `host:port`, shared by every connection of a run.
#[derive(Default)]
pub struct Addresses {
    last: Mutex<Option<Lookup>>,
}

impl Addresses {
    /// The addresses of `host_port`: an IP literal as it is, a name as the system resolves it,
    /// from the last minute's lookup when there is one.
    pub async fn of(&self, host_port: &str) -> std::io::Result<Arc<[SocketAddr]>> {
        self.of_with(host_port, Instant::now(), |a| async move {
            tokio::net::lookup_host(a).await.map(Iterator::collect)
        })
        .await
    }

    async fn of_with<F, Fut>(
        &self,
        host_port: &str,
        now: Instant,
        lookup: F,
    ) -> std::io::Result<Arc<[SocketAddr]>>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = std::io::Result<Vec<SocketAddr>>>,
    {
        if let Ok(literal) = host_port.parse::<SocketAddr>() {
            return Ok(Arc::from([literal]));
        }
        if let Some((of, at, addrs)) = &*self.lock() {
            if of == host_port && now.saturating_duration_since(*at) < TTL {
                return Ok(addrs.clone());
            }
        }
        let found = lookup(host_port.to_owned()).await?;
        if found.is_empty() {
            return Err(std::io::Error::other(format!("{host_port}: no address")));
        }
        let found: Arc<[SocketAddr]> = found.into();
        *self.lock() = Some((host_port.to_owned(), now, found.clone()));
        Ok(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Lookup>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_name_is_looked_up_once_a_minute_and_a_literal_never() {
        let addresses = Addresses::default();
        let lookups = AtomicU32::new(0);
        let at: SocketAddr = "10.0.0.7:8080".parse().unwrap();
        let lookup = |_: String| {
            lookups.fetch_add(1, Ordering::Relaxed);
            async move { Ok(vec![at]) }
        };
        let t0 = Instant::now();
        let get = |now, host: &'static str| addresses.of_with(host, now, lookup);
        assert_eq!(&*get(t0, "target:8080").await.unwrap(), &[at]);
        assert_eq!(
            &*get(t0 + TTL - Duration::from_millis(1), "target:8080")
                .await
                .unwrap(),
            &[at]
        );
        assert_eq!(
            lookups.load(Ordering::Relaxed),
            1,
            "within the minute: no lookup"
        );
        get(t0 + TTL, "target:8080").await.unwrap();
        assert_eq!(
            lookups.load(Ordering::Relaxed),
            2,
            "a minute on: looked up again"
        );
        get(t0 + TTL, "other:8080").await.unwrap();
        assert_eq!(
            lookups.load(Ordering::Relaxed),
            3,
            "another name: its own lookup"
        );
        let literal = get(t0, "127.0.0.1:9").await.unwrap();
        assert_eq!(&*literal, &["127.0.0.1:9".parse::<SocketAddr>().unwrap()]);
        assert_eq!(lookups.load(Ordering::Relaxed), 3, "a literal: none");
    }

    #[tokio::test]
    async fn a_name_that_gives_nothing_is_an_error_and_is_not_kept() {
        let addresses = Addresses::default();
        let none = |_: String| async { Ok(Vec::new()) };
        assert!(
            addresses
                .of_with("target:80", Instant::now(), none)
                .await
                .is_err()
        );
        assert!(addresses.lock().is_none());
    }
}
