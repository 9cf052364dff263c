//! The reference server in-process, on a runtime and thread of its own, so that the load it serves
//! and the load the harness generates never compete for the same scheduler, and a server stall
//! cannot stall the measurement. One thread is enough: the engine is serialized anyway.

use omnisim_protocol::ClockMode;
use omnisim_reference_server::faults::Faults;
use omnisim_reference_server::server::{self, Freezer, ServerConfig, ServerError};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// A running embedded server.
pub struct Embedded {
    pub url: String,
    pub admin_token: String,
    freezer: Freezer,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Embedded {
    /// Starts the reference server on a free loopback port.
    pub fn start() -> Result<Embedded, ServerError> {
        Embedded::with_faults(Faults::NONE)
    }

    /// Starts the reference server with deliberate bugs switched on (conformance testing).
    pub fn with_faults(faults: Faults) -> Result<Embedded, ServerError> {
        Embedded::with(faults, ClockMode::Wall)
    }

    /// Starts the reference server with `faults` on `clock` (conformance testing).
    pub fn with(faults: Faults, clock: ClockMode) -> Result<Embedded, ServerError> {
        Embedded::configured(ServerConfig {
            faults,
            clock,
            ..ServerConfig::default()
        })
    }

    /// Starts the reference server as `config` says, on a free loopback port whatever its
    /// `addr` (a TLS server in tests).
    pub fn configured(config: ServerConfig) -> Result<Embedded, ServerError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("omnisim-server".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(ServerError::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let config = ServerConfig {
                        addr: "127.0.0.1:0".parse().expect("literal address"),
                        ..config
                    };
                    match server::start(config).await {
                        Ok(running) => {
                            let _ = ready_tx.send(Ok((
                                running.url(),
                                running.admin_token.clone(),
                                running.freezer(),
                            )));
                            let _ = stopped.await;
                            let _ = running.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(ServerError::Runtime)?;
        let (url, admin_token, freezer) =
            ready_rx.recv().map_err(|_| ServerError::ThreadStopped)??;
        Ok(Embedded {
            url,
            admin_token,
            freezer,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// A handle that can freeze the server (measurement tests).
    pub fn freezer(&self) -> Freezer {
        self.freezer.clone()
    }

    /// Shuts the server down and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.shutdown();
    }
}
