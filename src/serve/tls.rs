//! TLS listeners, served by rustls: nginx's `listen … ssl` with `ssl_certificate` and
//! `ssl_certificate_key` (and `ssl_protocols`), HAProxy's `bind … ssl crt FILE`. The
//! certificate is chosen by the name the client asks for (SNI) among the servers of the
//! address, else the default server's — as nginx chooses it; the request itself is then routed
//! by its `Host` as on a plain listener. TLS 1.2 and 1.3 are offered, with rustls's cipher
//! suites; ALPN offers `http/1.1`.

use std::sync::Arc;

use rustls::crypto::ring::{default_provider, sign::any_supported_type};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;

use crate::ir::{Opaque, Origin, Settings};

use super::support::Findings;

/// The TLS versions nginx and HAProxy name, and whether rustls offers them.
const VERSIONS: &[(&str, Option<&rustls::SupportedProtocolVersion>)] = &[
    ("SSLv2", None),
    ("SSLv3", None),
    ("TLSv1", None),
    ("TLSv1.0", None),
    ("TLSv1.1", None),
    ("TLSv1.2", Some(&rustls::version::TLS12)),
    ("TLSv1.3", Some(&rustls::version::TLS13)),
];

/// nginx TLS settings that tune what rustls chooses for itself: warned, not refused.
pub const NGINX_TUNING: &[&str] = &[
    "ssl_ciphers",
    "ssl_prefer_server_ciphers",
    "ssl_session_cache",
    "ssl_session_timeout",
    "ssl_session_tickets",
    "ssl_dhparam",
    "ssl_ecdh_curve",
    "ssl_buffer_size",
    "ssl_stapling",
    "ssl_stapling_verify",
];

/// The nginx TLS directives read here.
pub const NGINX_READ: &[&str] = &["ssl_certificate", "ssl_certificate_key", "ssl_protocols"];

/// A certificate chain with its key, ready to serve.
pub type Cert = Arc<CertifiedKey>;

/// What a TLS address serves: the certificate of the server the name the client asks for
/// (SNI) selects, as a request's Host selects it; the default server's for the others.
#[derive(Debug)]
pub struct Certs {
    names: Arc<super::names::NameIndex>,
    /// Each server's certificate, by its index in `names`.
    by_server: Vec<Option<Cert>>,
    default: Cert,
}

impl ResolvesServerCert for Certs {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Cert> {
        let asked = hello
            .server_name()
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase());
        let named = asked
            .and_then(|n| self.names.find(&n))
            .and_then(|found| self.by_server.get(found.server)?.as_ref());
        Some(named.unwrap_or(&self.default).clone())
    }
}

/// The rustls configuration of one address: its server `names`, each server's certificate
/// (`by_server`), the default server's, the versions to offer and whether HTTP/2 is (by ALPN).
pub fn server_config(
    (names, by_server): (Arc<super::names::NameIndex>, Vec<Option<Cert>>),
    default: Cert,
    versions: &[&'static rustls::SupportedProtocolVersion],
    http2: bool,
) -> Option<Arc<ServerConfig>> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_protocol_versions(versions)
        .ok()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Certs {
            names,
            by_server,
            default,
        }));
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Some(Arc::new(config))
}

/// Reads a certificate chain from `cert` and its key from `key` (both PEM; one file may hold
/// both, as HAProxy's `crt` does).
pub fn load(cert: &str, key: &str) -> Result<Cert, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read {cert}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read {cert}: {e}"))?;
    if chain.is_empty() {
        return Err(format!("no certificate in {cert}"));
    }
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("no key in {key}: {e}"))?;
    let signing = any_supported_type(&der).map_err(|e| format!("the key in {key}: {e}"))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|_| format!("the key in {key} does not match the certificate in {cert}"))?;
    Ok(Arc::new(certified))
}

/// The versions an `ssl_protocols`-like list names that rustls offers; the others are
/// warned about (all of them unoffered: refused).
pub fn versions(
    names: &[String],
    origin: Origin,
    f: &mut Findings,
) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let mut out = Vec::new();
    let mut old = Vec::new();
    for n in names {
        match VERSIONS.iter().find(|(name, _)| name == n) {
            Some((_, Some(v))) => out.push(*v),
            Some((_, None)) => old.push(n.as_str()),
            None => f.refuse(origin, format!("the TLS version `{n}`")),
        }
    }
    if out.is_empty() {
        f.refuse(
            origin,
            format!("`{}` alone (TLSv1.2 and TLSv1.3 only)", names.join(" ")),
        );
    } else if !old.is_empty() {
        f.ignore(
            origin,
            format!("{} (TLSv1.2 and TLSv1.3 only are offered)", old.join(", ")),
        );
    }
    out
}

/// An nginx server's certificate from its `scopes` (http, server; the innermost level that
/// names one wins, as nginx inherits array directives), with `resolve` for relative paths;
/// `None` (reported) when it has none or it cannot be read.
pub fn nginx_cert(
    scopes: &[&Settings],
    resolve: impl Fn(&str) -> String,
    listen: Origin,
    f: &mut Findings,
) -> Option<Cert> {
    let level = |name: &str| super::content::innermost(scopes, name);
    let (certs, keys) = (level("ssl_certificate"), level("ssl_certificate_key"));
    let (Some(cert), Some(key)) = (certs.first(), keys.first()) else {
        f.refuse(
            certs.first().map_or(listen, |c| c.origin),
            "`listen … ssl` without both `ssl_certificate` and `ssl_certificate_key` (nginx refuses it too)",
        );
        return None;
    };
    for extra in certs.iter().skip(1) {
        f.ignore(
            extra.origin,
            "a second `ssl_certificate` (the first is served to every client)",
        );
    }
    let mut path = |o: &Opaque| -> Option<String> {
        match &o.args[..] {
            [p] if !p.contains('$') => Some(resolve(p)),
            _ => {
                f.refuse(o.origin, format!("`{} {}`", o.name, o.args.join(" ")));
                None
            }
        }
    };
    let (cert_path, key_path) = (path(cert)?, path(key)?);
    match load(&cert_path, &key_path) {
        Ok(c) => Some(c),
        Err(e) => {
            f.refuse(cert.origin, format!("this certificate: {e}"));
            None
        }
    }
}

/// The versions an nginx server offers: its `ssl_protocols` (innermost level), else nginx's
/// default, of which rustls offers TLSv1.2 and TLSv1.3.
pub fn nginx_versions(
    scopes: &[&Settings],
    f: &mut Findings,
) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let named = scopes
        .iter()
        .rev()
        .find_map(|s| s.opaque.iter().rev().find(|o| o.name == "ssl_protocols"));
    match named {
        Some(o) => versions(&o.args, o.origin, f),
        None => vec![&rustls::version::TLS12, &rustls::version::TLS13],
    }
}

/// A HAProxy `bind … ssl` line's options: its `crt` certificate and the versions it allows;
/// other options are refused (tuning ones warned).
pub fn haproxy_bind(
    options: &[String],
    resolve: impl Fn(&str) -> String,
    origin: Origin,
    f: &mut Findings,
) -> Option<(Cert, Vec<&'static rustls::SupportedProtocolVersion>)> {
    let mut crt = None;
    let (mut min, mut max) = (2usize, 6usize);
    let mut it = options.iter();
    let index = |v: &str| VERSIONS.iter().position(|(n, _)| *n == v);
    while let Some(o) = it.next() {
        match o.as_str() {
            "crt" => crt = it.next().map(|p| resolve(p)),
            "ssl-min-ver" | "ssl-max-ver" => {
                let v = it.next().map(String::as_str).unwrap_or("");
                match (o.as_str(), index(v)) {
                    ("ssl-min-ver", Some(i)) => min = i,
                    (_, Some(i)) => max = i,
                    _ => f.refuse(origin, format!("`{o} {v}`")),
                }
            }
            "no-sslv3" | "no-tlsv10" | "no-tlsv11" => {}
            "no-tlsv12" => min = min.max(6),
            "no-tlsv13" => max = max.min(5),
            // Read by the front-end (`Listener::http2`).
            "alpn" => {
                it.next();
            }
            "ciphers" | "ciphersuites" | "curves" | "ecdhe" => {
                it.next();
                f.ignore(origin, format!("`{o}` (rustls's own choice is used)"));
            }
            _ => f.refuse(origin, format!("the bind option `{o}`")),
        }
    }
    let Some(path) = crt else {
        f.refuse(origin, "`bind … ssl` without `crt`");
        return None;
    };
    if std::path::Path::new(&path).is_dir() {
        f.refuse(origin, format!("`crt {path}`, a directory of certificates"));
        return None;
    }
    let versions: Vec<_> = VERSIONS[min.max(5)..=max.min(6)]
        .iter()
        .filter_map(|(_, v)| *v)
        .collect();
    if versions.is_empty() {
        f.refuse(origin, "these TLS versions (TLSv1.2 and TLSv1.3 only)");
        return None;
    }
    match load(&path, &path) {
        Ok(c) => Some((c, versions)),
        Err(e) => {
            f.refuse(origin, format!("this certificate: {e}"));
            None
        }
    }
}

/// What a TLS connection agreed: `$ssl_protocol`, `$ssl_cipher` (OpenSSL's names, as nginx
/// writes them) and `$ssl_server_name` (the name the client asked for, SNI).
#[derive(Debug, Default)]
pub struct Facts {
    pub protocol: &'static str,
    pub cipher: &'static str,
    pub server_name: String,
}

impl Facts {
    /// The facts of an established server connection.
    pub fn of(c: &rustls::ServerConnection) -> Facts {
        use rustls::CipherSuite as S;
        let protocol = match c.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "",
        };
        let cipher = match c.negotiated_cipher_suite().map(|s| s.suite()) {
            Some(S::TLS13_AES_128_GCM_SHA256) => "TLS_AES_128_GCM_SHA256",
            Some(S::TLS13_AES_256_GCM_SHA384) => "TLS_AES_256_GCM_SHA384",
            Some(S::TLS13_CHACHA20_POLY1305_SHA256) => "TLS_CHACHA20_POLY1305_SHA256",
            Some(S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) => "ECDHE-ECDSA-AES128-GCM-SHA256",
            Some(S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) => "ECDHE-ECDSA-AES256-GCM-SHA384",
            Some(S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256) => {
                "ECDHE-ECDSA-CHACHA20-POLY1305"
            }
            Some(S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) => "ECDHE-RSA-AES128-GCM-SHA256",
            Some(S::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) => "ECDHE-RSA-AES256-GCM-SHA384",
            Some(S::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256) => "ECDHE-RSA-CHACHA20-POLY1305",
            _ => "",
        };
        Facts {
            protocol,
            cipher,
            server_name: c.server_name().unwrap_or("").to_string(),
        }
    }
}
