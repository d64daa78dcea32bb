//! Multi-round-trip requests (MCP 2026-07-28, SEP-2322) for plugins that
//! ask questions.
//!
//! A stateless client cannot be asked while a call runs. When a plugin asks
//! (`client.elicit`, `create-message`, `list-roots`, `ask`), the call stops
//! and the response is an `InputRequiredResult`: the questions, and a
//! `requestState` that records every answer so far. The client retries the
//! same request with its answers and that state; the host runs the plugin
//! again, in a fresh instance, and [`RoundTrip`] replays the recorded
//! answers to the plugin's questions in order, so plugins keep a simple
//! synchronous API and any replica can serve any round.
//!
//! The state is the host's, never the client's to choose:
//! - it is sealed with HMAC-SHA256 (rmcp's `RequestStateCodec`) over the
//!   caller, the method, the name and the arguments ([`Binding`]), and
//!   expires after [`STATE_TTL`], so it is refused when tampered with,
//!   replayed by another caller or for another call, or stale;
//! - its contents (earlier answers, which may be what a user typed) are
//!   encrypted with AES-256-GCM under a key derived from the same secret,
//!   so nothing in it is readable in clear.
//!
//! Every replica that shares the key (`mcp.stateKeyFile`) accepts the
//! others' state.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rmcp::ErrorData;
use rmcp::model::{
    InputRequests, InputRequiredResult, InputResponses, RequestStateCodec, SealOptions,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::convert;
use crate::auth::CallerId;
use crate::plugins::{Question, Unanswered};
use crate::wit::client::{Answer, ClientError};

/// How long a client has to answer a round.
pub const STATE_TTL: Duration = Duration::from_secs(15 * 60);

/// The most rounds one request may take; a plugin that asks more is stopped.
const MAX_ROUNDS: usize = 16;

/// The largest sealed state sent (answers to sampling can be long).
const MAX_STATE_BYTES: usize = 256 << 10;

/// The shortest secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// The server's key for request state.
pub struct StateKey {
    codec: RequestStateCodec,
    cipher: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(..)")
    }
}

impl StateKey {
    /// The key derived from `secret` (at least [`MIN_SECRET_BYTES`] bytes):
    /// one subkey seals, another encrypts.
    pub fn from_secret(secret: &[u8]) -> Result<StateKey, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the request-state key has {} bytes; it needs at least {MIN_SECRET_BYTES}",
                secret.len()
            ));
        }
        let master = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derive = |label: &[u8]| hmac::sign(&master, label);
        let sealing = derive(b"kube-mcp/request-state/seal");
        let encryption = derive(b"kube-mcp/request-state/encrypt");
        let cipher = UnboundKey::new(&AES_256_GCM, encryption.as_ref())
            .map_err(|_| "cannot make the request-state cipher".to_owned())?;
        Ok(StateKey {
            codec: RequestStateCodec::try_new(sealing.as_ref().to_vec())
                .map_err(|e| e.to_string())?,
            cipher: LessSafeKey::new(cipher),
            random: SystemRandom::new(),
        })
    }

    /// A key of this process only: state from another replica, or from
    /// before a restart, is refused.
    pub fn random() -> StateKey {
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .expect("the system's random source");
        StateKey::from_secret(&secret).expect("32 bytes")
    }

    fn seal(&self, state: &State, binding: &Binding) -> Result<String, String> {
        let mut plain =
            serde_json::to_vec(state).map_err(|e| format!("cannot write the state: {e}"))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| "no randomness for the state".to_owned())?;
        self.cipher
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&binding.0),
                &mut plain,
            )
            .map_err(|_| "cannot encrypt the state".to_owned())?;
        let mut payload = nonce.to_vec();
        payload.extend_from_slice(&plain);
        let sealed = self.codec.seal_with(
            &payload,
            &SealOptions::new()
                .associated_data(&binding.0)
                .ttl(STATE_TTL),
        );
        if sealed.len() > MAX_STATE_BYTES {
            return Err(format!(
                "the answers so far take {} bytes, over the {} KiB a request state may hold",
                sealed.len(),
                MAX_STATE_BYTES >> 10
            ));
        }
        Ok(sealed)
    }

    fn open(&self, sealed: &str, binding: &Binding) -> Result<State, String> {
        let refused = |why: &dyn std::fmt::Display| {
            format!(
                "requestState is refused ({why}): it was changed, has expired, or belongs to \
                 another caller or request; send the request again without it"
            )
        };
        if sealed.len() > MAX_STATE_BYTES {
            return Err(refused(&"too large"));
        }
        let payload = self
            .codec
            .open_with(sealed, &binding.0)
            .map_err(|e| refused(&e))?;
        if payload.len() < NONCE_LEN {
            return Err(refused(&"too short"));
        }
        let (nonce, sealed_state) = payload.split_at(NONCE_LEN);
        let mut sealed_state = sealed_state.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused(&"bad nonce"))?;
        let plain = self
            .cipher
            .open_in_place(nonce, Aad::from(&binding.0), &mut sealed_state)
            .map_err(|_| refused(&"does not decrypt"))?;
        serde_json::from_slice(plain).map_err(|e| refused(&e))
    }
}

/// What a request state is bound to: who asked what of which export.
pub struct Binding(Vec<u8>);

impl Binding {
    /// The binding of `method` on `name` with `arguments`, by `caller`
    /// (issuer and subject: the same `sub` at another issuer is another
    /// caller).
    pub fn new(caller: &CallerId, method: &str, name: &str, arguments: &Value) -> Binding {
        let mut digest = Sha256::new();
        for part in [&caller.issuer, &caller.subject, method, name] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part.as_bytes());
        }
        digest.update(canonical(arguments).as_bytes());
        Binding(digest.finalize().to_vec())
    }
}

/// `value` as JSON text with object keys sorted, so equal arguments bind
/// equally however the client ordered them.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), canonical(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

/// The kind of a question, as the state records it to check answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Kind {
    #[serde(rename = "e")]
    Elicit,
    #[serde(rename = "s")]
    Sample,
    #[serde(rename = "r")]
    Roots,
}

impl Kind {
    fn of(question: &Question) -> Kind {
        match question {
            Question::Elicit { .. } => Kind::Elicit,
            Question::CreateMessage(_) => Kind::Sample,
            Question::ListRoots => Kind::Roots,
        }
    }

    /// An empty question of this kind, to read an answer against.
    fn blank(self) -> Question {
        match self {
            Kind::Elicit => Question::Elicit {
                message: String::new(),
                schema: Default::default(),
            },
            Kind::Sample => Question::CreateMessage(crate::wit::client::SamplingRequest {
                messages: Vec::new(),
                system_prompt: None,
                max_tokens: 0,
                temperature: None,
                stop_sequences: Vec::new(),
                model_hints: Vec::new(),
            }),
            Kind::Roots => Question::ListRoots,
        }
    }
}

/// One round: the questions a plugin asked at once, and the answers so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Round {
    /// A digest of the questions: a rerun that asks something else (its
    /// reads saw a changed cluster, say) is asked again, never answered
    /// with answers to other questions.
    #[serde(rename = "d")]
    digest: String,
    #[serde(rename = "q")]
    questions: Vec<(String, Kind)>,
    #[serde(rename = "a", default)]
    answers: BTreeMap<String, Value>,
}

impl Round {
    fn of(questions: &[(String, Question)]) -> Round {
        let mut digest = Sha256::new();
        for (key, question) in questions {
            digest.update((key.len() as u64).to_be_bytes());
            digest.update(key.as_bytes());
            let wire = convert::input_request(question)
                .ok()
                .and_then(|r| serde_json::to_value(r).ok())
                .unwrap_or(Value::Null);
            digest.update(canonical(&wire).as_bytes());
        }
        Round {
            digest: B64.encode(&digest.finalize()[..16]),
            questions: questions
                .iter()
                .map(|(k, q)| (k.clone(), Kind::of(q)))
                .collect(),
            answers: BTreeMap::new(),
        }
    }
}

/// What a request state holds: every round so far, the last one waiting
/// for answers.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    #[serde(rename = "r")]
    rounds: Vec<Round>,
}

/// The questions a call stopped at.
struct Pending {
    /// Every round up to and including the one asked now.
    rounds: Vec<Round>,
    /// The unanswered questions of the last round.
    questions: Vec<(String, Question)>,
}

/// One round trip of a request: the answers it brings, and the questions
/// its call stops at.
pub struct RoundTrip {
    recorded: Vec<Round>,
    asked: AtomicUsize,
    pending: Mutex<Option<Pending>>,
}

impl RoundTrip {
    /// The round trip of a request: its `requestState` opened with `key`
    /// and bound to `binding`, and its `inputResponses` added to the last
    /// round. A request without state starts afresh (its responses, if
    /// any, answer nothing: the questions are asked again).
    pub fn start(
        key: &StateKey,
        binding: &Binding,
        state: Option<&str>,
        responses: Option<InputResponses>,
    ) -> Result<RoundTrip, ErrorData> {
        let mut recorded = match state {
            None => Vec::new(),
            Some(sealed) => {
                key.open(sealed, binding)
                    .map_err(|why| ErrorData::invalid_params(why, None))?
                    .rounds
            }
        };
        if let Some(last) = recorded.last_mut() {
            for (key, value) in responses.unwrap_or_default() {
                // Keys the round did not ask are ignored (SEP-2322).
                let Some((_, kind)) = last.questions.iter().find(|(k, _)| *k == key) else {
                    continue;
                };
                if let Err(why) = convert::answer(&kind.blank(), value.clone()) {
                    return Err(ErrorData::invalid_params(
                        format!("inputResponses.{key}: {why}"),
                        None,
                    ));
                }
                last.answers.insert(key, value);
            }
        }
        Ok(RoundTrip {
            recorded,
            asked: AtomicUsize::new(0),
            pending: Mutex::new(None),
        })
    }

    /// Answers `questions` from the recorded rounds, or records them as
    /// the questions this call stops at.
    pub fn ask(&self, questions: Vec<(String, Question)>) -> Result<Vec<Answer>, Unanswered> {
        let index = self.asked.fetch_add(1, Ordering::Relaxed);
        let asked = Round::of(&questions);
        let recorded = self
            .recorded
            .get(index)
            .filter(|r| r.digest == asked.digest && r.questions == asked.questions);
        let (round, unanswered) = match recorded {
            Some(round) => {
                let unanswered: Vec<_> = questions
                    .iter()
                    .filter(|(k, _)| !round.answers.contains_key(k))
                    .cloned()
                    .collect();
                if unanswered.is_empty() {
                    return questions
                        .iter()
                        .map(|(k, q)| {
                            convert::answer(q, round.answers[k].clone()).map_err(|why| {
                                Unanswered::Client(ClientError::Failed(format!(
                                    "the client's answer to '{k}' is {why}"
                                )))
                            })
                        })
                        .collect();
                }
                (round.clone(), unanswered)
            }
            None => (asked, questions),
        };
        if index >= MAX_ROUNDS {
            return Err(Unanswered::Client(ClientError::Failed(format!(
                "a request may take at most {MAX_ROUNDS} rounds of questions"
            ))));
        }
        let mut rounds = self.recorded[..index.min(self.recorded.len())].to_vec();
        rounds.push(round);
        *self.pending.lock().expect("pending lock") = Some(Pending {
            rounds,
            questions: unanswered,
        });
        Err(Unanswered::Deferred)
    }

    /// The response of a call that stopped at questions: the questions,
    /// and the state to send them back with.
    pub fn input_required(
        &self,
        key: &StateKey,
        binding: &Binding,
    ) -> Result<InputRequiredResult, ErrorData> {
        let pending = self.pending.lock().expect("pending lock").take();
        let Some(pending) = pending else {
            return Err(ErrorData::internal_error(
                "the call stopped for questions it did not ask",
                None,
            ));
        };
        let mut requests = InputRequests::new();
        for (k, question) in &pending.questions {
            let request = convert::input_request(question)
                .map_err(|e| ErrorData::internal_error(format!("question '{k}': {e:?}"), None))?;
            requests.insert(k.clone(), request);
        }
        let state = key
            .seal(
                &State {
                    rounds: pending.rounds,
                },
                binding,
            )
            .map_err(|why| ErrorData::internal_error(why, None))?;
        Ok(InputRequiredResult::new(Some(requests), Some(state)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::client::Elicitation;
    use serde_json::json;

    fn name_question() -> Vec<(String, Question)> {
        vec![(
            "user_name".into(),
            Question::Elicit {
                message: "What is your name?".into(),
                schema: json!({"type": "object", "properties": {"name": {"type": "string"}}})
                    .as_object()
                    .unwrap()
                    .clone(),
            },
        )]
    }

    fn accepted(content: Value) -> Value {
        json!({"action": "accept", "content": content})
    }

    fn binding(subject: &str) -> Binding {
        binding_at("https://idp", subject)
    }

    fn binding_at(issuer: &str, subject: &str) -> Binding {
        let caller = CallerId {
            issuer: issuer.into(),
            subject: subject.into(),
        };
        Binding::new(
            &caller,
            "tools/call",
            "greet",
            &json!({"b": 1, "a": [1, 2]}),
        )
    }

    /// Asks the name question in a fresh round trip of `state` and
    /// `responses`; returns the answer or the next state.
    fn round(
        key: &StateKey,
        state: Option<&str>,
        responses: Option<Value>,
    ) -> Result<Result<Vec<Answer>, String>, ErrorData> {
        let responses = responses.map(|r| serde_json::from_value(r).unwrap());
        let trip = RoundTrip::start(key, &binding("alice"), state, responses)?;
        match trip.ask(name_question()) {
            Ok(answers) => Ok(Ok(answers)),
            Err(Unanswered::Deferred) => {
                let result = trip.input_required(key, &binding("alice"))?;
                assert!(result.input_requests.unwrap().contains_key("user_name"));
                Ok(Err(result.request_state.unwrap()))
            }
            Err(Unanswered::Client(e)) => panic!("{e:?}"),
        }
    }

    #[test]
    fn answers_come_back_in_the_next_round() {
        let key = StateKey::random();
        let state = round(&key, None, None).unwrap().unwrap_err();
        let answers = round(
            &key,
            Some(&state),
            Some(json!({"user_name": accepted(json!({"name": "Alice"}))})),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            answers,
            vec![Answer::Elicitation(Elicitation::Accept(
                r#"{"name":"Alice"}"#.into()
            ))]
        );
    }

    #[test]
    fn missing_answers_are_asked_again_and_extra_ones_ignored() {
        let key = StateKey::random();
        let state = round(&key, None, None).unwrap().unwrap_err();
        let again = round(&key, Some(&state), Some(json!({"other": {"x": 1}})))
            .unwrap()
            .unwrap_err();
        assert!(
            round(
                &key,
                Some(&again),
                Some(json!({"user_name": accepted(json!({"name": "A"})), "extra": 1}))
            )
            .unwrap()
            .is_ok()
        );
    }

    #[test]
    fn a_malformed_answer_names_its_key() {
        let key = StateKey::random();
        let state = round(&key, None, None).unwrap().unwrap_err();
        let error = round(
            &key,
            Some(&state),
            Some(json!({"user_name": {"nope": true}})),
        )
        .unwrap_err();
        assert!(
            error
                .message
                .starts_with("inputResponses.user_name: not an elicitation result"),
            "{}",
            error.message
        );
    }

    #[test]
    fn state_is_refused_when_tampered_or_for_another_caller_call_or_key() {
        let key = StateKey::random();
        let state = round(&key, None, None).unwrap().unwrap_err();
        let open = |key: &StateKey, state: &str, binding: &Binding| {
            RoundTrip::start(key, binding, Some(state), None).map(|_| ())
        };
        open(&key, &state, &binding("alice")).unwrap();
        // One character changed anywhere.
        let mut tampered = state.clone().into_bytes();
        let middle = tampered.len() / 2;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        for (what, result) in [
            ("tampered", open(&key, &tampered, &binding("alice"))),
            ("another caller", open(&key, &state, &binding("bob"))),
            (
                "the same subject at another issuer",
                open(&key, &state, &binding_at("https://other-idp", "alice")),
            ),
            (
                "another call",
                open(
                    &key,
                    &state,
                    &Binding::new(
                        &CallerId {
                            issuer: "https://idp".into(),
                            subject: "alice".into(),
                        },
                        "tools/call",
                        "greet",
                        &json!({"b": 2}),
                    ),
                ),
            ),
            (
                "another key",
                open(&StateKey::random(), &state, &binding("alice")),
            ),
        ] {
            let error = result.expect_err(what);
            assert!(
                error.message.starts_with("requestState is refused"),
                "{what}: {}",
                error.message
            );
        }
    }

    #[test]
    fn equal_arguments_bind_equally_in_any_order() {
        let s = CallerId::anonymous();
        let a = Binding::new(
            &s,
            "tools/call",
            "t",
            &json!({"a": 1, "b": {"d": 2, "c": 3}}),
        );
        let b = Binding::new(
            &s,
            "tools/call",
            "t",
            &json!({"b": {"c": 3, "d": 2}, "a": 1}),
        );
        assert_eq!(a.0, b.0);
    }

    #[test]
    fn the_state_carries_no_answer_in_clear() {
        let key = StateKey::random();
        let trip = RoundTrip::start(&key, &binding("alice"), None, None).unwrap();
        // Two rounds: the first answered with a secret, the second pending.
        let _ = trip.ask(name_question());
        let state = trip.input_required(&key, &binding("alice")).unwrap();
        let responses = json!({"user_name": accepted(json!({"name": "hunter2-secret"}))});
        let trip = RoundTrip::start(
            &key,
            &binding("alice"),
            state.request_state.as_deref(),
            serde_json::from_value(responses).unwrap(),
        )
        .unwrap();
        trip.ask(name_question()).unwrap();
        let second = vec![("color".to_owned(), Question::ListRoots)];
        assert!(matches!(trip.ask(second), Err(Unanswered::Deferred)));
        let state = trip
            .input_required(&key, &binding("alice"))
            .unwrap()
            .request_state
            .unwrap();
        let decoded: Vec<u8> = state
            .split('.')
            .flat_map(|part| B64.decode(part).unwrap_or_default())
            .collect();
        let text = String::from_utf8_lossy(&decoded);
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!state.contains("hunter2"));
    }

    #[test]
    fn a_changed_question_is_asked_anew() {
        let key = StateKey::random();
        let state = round(&key, None, None).unwrap().unwrap_err();
        let responses: InputResponses =
            serde_json::from_value(json!({"user_name": accepted(json!({"name": "A"}))})).unwrap();
        let trip =
            RoundTrip::start(&key, &binding("alice"), Some(&state), Some(responses)).unwrap();
        let mut changed = name_question();
        if let Question::Elicit { message, .. } = &mut changed[0].1 {
            *message = "What is your name now?".into();
        }
        assert!(matches!(trip.ask(changed), Err(Unanswered::Deferred)));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(
            StateKey::from_secret(b"short").unwrap_err(),
            "the request-state key has 5 bytes; it needs at least 32"
        );
    }
}
