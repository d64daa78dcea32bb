//! Token validations per second with the issuer's keys cached, per
//! algorithm: kube-mcp's whole check (issuer lookup, algorithm and key
//! checks, claims, scopes, principal), for a token seen the first time and
//! again within a minute (the verified-token cache), against jsonwebtoken's
//! bare signature-and-expiry decode as the baseline measured in the same
//! run.
//! Run with `make bench`; figures are in docs/benchmarks.md.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, encode};

use kube_mcp::auth::keys::IssuerKeys;
use kube_mcp::auth::validate::{TrustedIssuer, Validator};
use kube_mcp::config::{IssuerConfig, Secret, SigningAlgorithm};

const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "https://mcp.example.com/mcp";
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn token(alg: Algorithm, kid: Option<&str>, key: &EncodingKey) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "bench", "iat": now, "exp": now + 3600,
        "scope": "openid mcp", "groups": ["viewers"],
    });
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, &claims, key).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let keys_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/keys");
    let jwks: JwkSet =
        serde_json::from_str(&std::fs::read_to_string(format!("{keys_dir}/jwks.json")).unwrap())
            .unwrap();
    let pem = |name: &str| std::fs::read(format!("{keys_dir}/{name}.pem")).unwrap();
    let config = IssuerConfig {
        required_scopes: vec!["mcp".into()],
        algorithms: vec![
            SigningAlgorithm::RS256,
            SigningAlgorithm::ES256,
            SigningAlgorithm::HS256,
        ],
        hs256_secret: Some(Secret(SECRET.to_vec())),
        ..IssuerConfig::new(ISSUER).unwrap()
    };
    let keys = IssuerKeys::preloaded(config.issuer_url.clone(), &jwks);
    let validator = Validator {
        issuers: vec![TrustedIssuer::new(config, vec![AUDIENCE.into()], keys)],
        leeway: Duration::from_secs(30),
        impersonate: false,
        cache: Default::default(),
    };

    let cases = [
        (
            "RS256",
            Algorithm::RS256,
            token(
                Algorithm::RS256,
                Some("rs256"),
                &EncodingKey::from_rsa_pem(&pem("rs256")).unwrap(),
            ),
            DecodingKey::from_jwk(&jwks.keys[0]).unwrap(),
        ),
        (
            "ES256",
            Algorithm::ES256,
            token(
                Algorithm::ES256,
                Some("es256"),
                &EncodingKey::from_ec_pem(&pem("es256")).unwrap(),
            ),
            DecodingKey::from_jwk(&jwks.keys[1]).unwrap(),
        ),
        (
            "HS256",
            Algorithm::HS256,
            token(Algorithm::HS256, None, &EncodingKey::from_secret(SECRET)),
            DecodingKey::from_secret(SECRET),
        ),
    ];
    let mut group = c.benchmark_group("validate_token");
    group.throughput(Throughput::Elements(1));
    for (name, alg, token, key) in &cases {
        assert!(
            rt.block_on(validator.validate(token)).is_ok(),
            "{name} token must validate"
        );
        group.bench_function(format!("{name}/kube-mcp, first use"), |b| {
            b.iter(|| rt.block_on(validator.verify(token)).unwrap())
        });
        group.bench_function(format!("{name}/kube-mcp, seen within a minute"), |b| {
            b.iter(|| rt.block_on(validator.validate(token)).unwrap())
        });
        let mut bare = Validation::new(*alg);
        bare.set_audience(&[AUDIENCE]);
        group.bench_function(format!("{name}/jsonwebtoken decode (baseline)"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<serde_json::Value>(token, key, &bare).unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
