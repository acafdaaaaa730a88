//! A real headless Chromium, driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`). Without them the browser tests say so and skip, unless
//! `WISAW_REQUIRE_BROWSER=1` (as in CI), where they fail.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const REQUIRE_VAR: &str = "WISAW_REQUIRE_BROWSER";
/// Where the screenshots go (the runbook's pictures); none are taken without it.
const SCREENSHOTS_VAR: &str = "WISAW_SCREENSHOTS_DIR";

fn found(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var(var)
        .map(PathBuf::from)
        .unwrap_or_else(|_| default.into());
    path.exists().then_some(path)
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    /// The browser's home: its certificate database (NSS) is there.
    _home: tempfile::TempDir,
}

impl Browser {
    /// A fresh headless browser, or `None` (the test skips) without one installed.
    pub async fn start() -> Option<Self> {
        Self::start_trusting(None).await
    }

    /// As [`Self::start`], trusting the certificate authority `ca` too, as a developer
    /// trusts `wisaw serve --tls`'s: in the browser's own certificate database (NSS's,
    /// with `certutil`), never by turning verification off.
    pub async fn start_trusting(ca: Option<&Path>) -> Option<Self> {
        let (Some(driver_path), Some(chromium)) = (
            found("WISAW_CHROMEDRIVER", "/usr/bin/chromedriver"),
            found("WISAW_CHROMIUM", "/usr/bin/chromium"),
        ) else {
            assert!(
                std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
                "{REQUIRE_VAR}=1 but chromium or chromedriver is not installed"
            );
            eprintln!(
                "skipped: no chromium and chromedriver (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let home = tempfile::tempdir().unwrap();
        if let Some(ca) = ca {
            trust_in_nss(home.path(), ca);
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            // Chromium reads its certificate database from $HOME/.pki/nssdb.
            .env("HOME", home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1280,1500", "--hide-scrollbars"]
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        // chromedriver takes a moment to listen.
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Self {
                        client,
                        driver,
                        _home: home,
                    })
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session: {last_error:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    }

    /// The element, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!(
                "no `{css}` on {}: {e}\n{}",
                self.client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
                self.client.source().await.unwrap_or_default()
            ),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Reloads until `css`'s text contains `wanted` (a page that refreshes itself, a
    /// status that settles), up to `within`.
    pub async fn wait_text(&self, css: &str, wanted: &str, within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(wanted) {
                return text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "`{css}` never read `{wanted}` (last: `{text}`)"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
            self.client.refresh().await.unwrap();
        }
    }

    /// A PNG of the page into the screenshots folder, when one is set.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var(SCREENSHOTS_VAR) else {
            return;
        };
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// A certificate database in `home` (`.pki/nssdb`, where Chromium looks) trusting `ca` to
/// identify servers.
fn trust_in_nss(home: &Path, ca: &Path) {
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).unwrap();
    let db = format!("sql:{}", db.display());
    let certutil = |args: &[&str]| {
        let status = Command::new("certutil")
            .args(["-d", &db])
            .args(args)
            .status()
            .expect("certutil (apt-get install libnss3-tools)");
        assert!(status.success(), "certutil {args:?}: {status}");
    };
    certutil(&["-N", "--empty-password"]);
    let ca = ca.to_str().unwrap();
    certutil(&["-A", "-t", "C,,", "-n", "wisaw local CA", "-i", ca]);
}
