//! The search matrix (`points/search/matrix/pairs` and `.../offsets`), checked against
//! nearest neighbours computed here, by brute force, within the sample the server drew.

mod common;

use std::collections::BTreeSet;

use common::{Server, create_dense, seed};
use serde_json::{Value, json};

const N: u64 = 24;

/// `seed`'s vector of point `i`.
fn vector(i: u64) -> [f32; 4] {
    let a = i as f32 * 0.3;
    [a.cos(), a.sin(), 0.5, (i % 3) as f32]
}

fn score(distance: &str, a: [f32; 4], b: [f32; 4]) -> f32 {
    let dot = |x: [f32; 4], y: [f32; 4]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
    match distance {
        "Cosine" => dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt()),
        "Euclid" => a
            .iter()
            .zip(b)
            .map(|(p, q)| (p - q).powi(2))
            .sum::<f32>()
            .sqrt(),
        _ => unreachable!(),
    }
}

/// For each sampled id: the `limit` others of the sample nearest to it, best first.
fn expected(distance: &str, sample: &[u64], limit: usize) -> Vec<Vec<(u64, f32)>> {
    sample
        .iter()
        .map(|&a| {
            let mut others: Vec<(u64, f32)> = sample
                .iter()
                .filter(|&&b| b != a)
                .map(|&b| (b, score(distance, vector(a), vector(b))))
                .collect();
            match distance {
                "Euclid" => others.sort_by(|x, y| x.1.total_cmp(&y.1)),
                _ => others.sort_by(|x, y| y.1.total_cmp(&x.1)),
            }
            others.truncate(limit);
            others
        })
        .collect()
}

/// `got` are `a`'s neighbours: each one's score is its true score to `a`, none repeats or
/// is `a`, and the scores are the best ones in order. (Equal scores may come in either
/// order: this data has ties.)
fn same(distance: &str, a: u64, sample: &[u64], got: &[(u64, f32)], want: &[(u64, f32)]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    let distinct: BTreeSet<u64> = got.iter().map(|g| g.0).collect();
    assert_eq!(distinct.len(), got.len(), "{got:?}");
    for ((id, reported), (_, best)) in got.iter().zip(want) {
        assert!(*id != a && sample.contains(id), "{got:?}");
        let true_score = score(distance, vector(a), vector(*id));
        assert!((reported - true_score).abs() < 1e-4, "{got:?} vs {want:?}");
        assert!((reported - best).abs() < 1e-4, "{got:?} vs {want:?}");
    }
}

#[test]
fn pairs_are_each_sampled_points_nearest_neighbours_in_the_sample() {
    let server = Server::start();
    for distance in ["Cosine", "Euclid"] {
        let name = format!("m_{distance}");
        create_dense(&server, &name, distance);
        seed(&server, &name, N);
        let path = format!("/collections/{name}/points/search/matrix/pairs");
        let result = server.ok("POST", &path, Some(json!({"sample": 8, "limit": 2})));
        let pairs = result["pairs"].as_array().unwrap();
        let sampled: Vec<u64> = pairs
            .iter()
            .map(|p| p["a"].as_u64().unwrap())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(sampled.len(), 8, "{result}");
        let want = expected(distance, &sampled, 2);
        for (a, want) in sampled.iter().zip(&want) {
            let got: Vec<(u64, f32)> = pairs
                .iter()
                .filter(|p| p["a"] == *a)
                .map(|p| {
                    (
                        p["b"].as_u64().unwrap(),
                        p["score"].as_f64().unwrap() as f32,
                    )
                })
                .collect();
            same(distance, *a, &sampled, &got, want);
        }
        // Pairs come grouped by `a` in ascending id order.
        let order: Vec<u64> = pairs.iter().map(|p| p["a"].as_u64().unwrap()).collect();
        assert!(order.is_sorted(), "{order:?}");
    }
}

#[test]
fn offsets_index_the_sorted_sample_and_honour_the_filter() {
    let server = Server::start();
    create_dense(&server, "m", "Cosine");
    seed(&server, "m", N);
    let body = json!({
        "sample": 100,
        "limit": 3,
        "filter": {"must": [{"key": "parity", "match": {"value": "even"}}]}
    });
    let result = server.ok(
        "POST",
        "/collections/m/points/search/matrix/offsets",
        Some(body),
    );
    let ids: Vec<u64> = result["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // A sample larger than the matching points takes all of them, in ascending order.
    let even: Vec<u64> = (1..=N).filter(|i| i % 2 == 0).collect();
    assert_eq!(ids, even);
    let column = |key: &str| -> Vec<usize> {
        result[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect()
    };
    let (rows, cols) = (column("offsets_row"), column("offsets_col"));
    let scores: Vec<f32> = result["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(
        (rows.len(), cols.len(), scores.len()),
        (ids.len() * 3, ids.len() * 3, ids.len() * 3)
    );
    for (row, want) in expected("Cosine", &ids, 3).iter().enumerate() {
        let got: Vec<(u64, f32)> = (0..rows.len())
            .filter(|&k| rows[k] == row)
            .map(|k| (ids[cols[k]], scores[k]))
            .collect();
        same("Cosine", ids[row], &ids, &got, want);
    }
}

#[test]
fn bad_requests_and_small_samples_answer_as_qdrant() {
    let server = Server::start();
    create_dense(&server, "m", "Cosine");
    seed(&server, "m", N);
    let path = "/collections/m/points/search/matrix/pairs";
    let message = server.err("POST", path, Some(json!({"sample": 1})), 422);
    assert!(
        message.contains("sample: value 1 invalid, must be 2 or larger"),
        "{message}"
    );
    let message = server.err("POST", path, Some(json!({"limit": 0})), 422);
    assert!(message.contains("limit: value 0 invalid"), "{message}");
    let message = server.err("POST", path, Some(json!({"using": "nope"})), 400);
    assert!(
        message.starts_with("Wrong input: Not existing vector name"),
        "{message}"
    );
    server.err(
        "POST",
        "/collections/absent/points/search/matrix/pairs",
        None,
        404,
    );
    // Fewer than two matching points: no matrix, as Qdrant answers.
    let one = json!({"filter": {"must": [{"has_id": [3]}]}});
    assert_eq!(server.ok("POST", path, Some(one)), json!({"pairs": []}));
    let offsets = server.ok(
        "POST",
        "/collections/m/points/search/matrix/offsets",
        Some(json!({"filter": {"must": [{"has_id": [3]}]}})),
    );
    assert_eq!(
        offsets,
        json!({"offsets_row": [], "offsets_col": [], "scores": [], "ids": []})
    );
    // No body: the defaults (10 sampled, 3 each).
    let result: Value = server.ok("POST", path, None);
    assert_eq!(result["pairs"].as_array().unwrap().len(), 30);
}
