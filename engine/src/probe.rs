//! Probing: one batch per host with identical probes asked once, and the
//! providers' reading of the results (what an instance looks like now).
use std::collections::BTreeMap;

use froyo_provider_api::{PlanRequest, Probe, ProbeOutcome};
use froyo_runner_protocol::{ItemOutcome, ProbeItem};

use crate::engine::*;
use crate::plan::Plan;

impl Engine {
    /// One probe batch per host for the instances `select` picks; identical
    /// probes on a host are asked once. Returns each instance's outcomes in
    /// the order of its probes, or why the batch failed.
    pub(crate) fn run_probes(
        &self,
        wanted: Vec<Wanted<'_>>,
    ) -> Vec<(usize, Result<Vec<ProbeOutcome>, String>)> {
        let mut by_host: BTreeMap<String, Vec<(usize, Vec<Probe>)>> = BTreeMap::new();
        let mut refused = Vec::new();
        for Wanted { index, instance, probes } in wanted {
            // Nothing outside the provider's capabilities is sent.
            match self.permitted(instance, &probes, &[]) {
                Ok(()) => {
                    by_host.entry(instance.key.host.clone()).or_default().push((index, probes))
                }
                Err(error) => refused.push((index, Err(error))),
            }
        }
        let mut jobs = Vec::new();
        for (host, indexes) in by_host {
            let session = match self.session(&host) {
                Ok(session) => session,
                Err(error) => {
                    jobs.push(Err((indexes.into_iter().map(|(i, _)| i).collect(), error)));
                    continue;
                }
            };
            let mut unique: BTreeMap<Probe, u64> = BTreeMap::new();
            let mut wanted: Vec<(usize, Vec<u64>)> = Vec::new();
            for (index, probes) in indexes {
                let ids = probes
                    .iter()
                    .map(|probe| {
                        let next = unique.len() as u64;
                        *unique.entry(probe.clone()).or_insert(next)
                    })
                    .collect();
                wanted.push((index, ids));
            }
            let items: Vec<ProbeItem> =
                unique.into_iter().map(|(probe, id)| ProbeItem { id, probe }).collect();
            jobs.push(Ok((host, session, items, wanted)));
        }
        let jobs: Vec<ProbeJob> = jobs;
        let lost = self.lost.clone();
        let mut results = self
            .on_blocking_pool(jobs, move |job| match job {
                Err((indexes, error)) => {
                    indexes.into_iter().map(|index| (index, Err(error.clone()))).collect::<Vec<_>>()
                }
                Ok((host, session, items, wanted)) => {
                    let _span =
                        tracing::info_span!("probe_batch", host = %host, items = items.len())
                            .entered();
                    let answer = match session.lock() {
                        Ok(mut session) => session.probe(items).map_err(|error| {
                            lose(&lost, &host, format!("probing failed: {error}"))
                        }),
                        Err(_) => Err(format!("the session to `{host}` is unusable")),
                    };
                    match answer {
                        Err(error) => wanted
                            .into_iter()
                            .map(|(index, _)| (index, Err(error.clone())))
                            .collect(),
                        Ok(answers) => {
                            let by_id: BTreeMap<u64, ItemOutcome> = answers.into_iter().collect();
                            wanted
                                .into_iter()
                                .map(|(index, ids)| {
                                    let outcomes = ids
                                        .iter()
                                        .map(|id| match by_id.get(id) {
                                            Some(ItemOutcome::Probed { result }) => {
                                                ProbeOutcome::Ok(result.clone())
                                            }
                                            Some(ItemOutcome::Error { message, .. }) => {
                                                ProbeOutcome::Error(message.clone())
                                            }
                                            _ => ProbeOutcome::Error(
                                                "the runner gave no result for this probe"
                                                    .to_string(),
                                            ),
                                        })
                                        .collect();
                                    (index, Ok(outcomes))
                                })
                                .collect()
                        }
                    }
                }
            })
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        results.extend(refused);
        results
    }

    /// What `indexes` look like on their hosts now: one probe batch per host,
    /// then the providers' reading of the results.
    pub(crate) fn observe(&self, plan: &Plan, indexes: &[usize]) -> BTreeMap<usize, Observation> {
        if indexes.is_empty() {
            return BTreeMap::new();
        }
        let facts = self.facts();
        let results = self.run_probes(
            indexes
                .iter()
                .map(|&index| &plan.instances[index])
                .zip(indexes)
                .filter(|(instance, _)| !instance.probes.is_empty())
                .map(|(instance, &index)| Wanted {
                    index,
                    instance,
                    probes: instance.probes.clone(),
                })
                .collect(),
        );
        let mut requests = Vec::new();
        let mut out = BTreeMap::new();
        for index in indexes {
            let instance = &plan.instances[*index];
            if instance.probes.is_empty() {
                out.insert(*index, Ok((None, observed_hash(&[]))));
            }
        }
        for (index, result) in results {
            let instance = &plan.instances[index];
            match (result, facts.get(&instance.key.host).cloned()) {
                (Ok(probes), Some(facts)) => requests.push((
                    index,
                    (instance.resource_type.clone(), instance.sensitive.clone()),
                    PlanRequest {
                        properties: instance.properties.clone(),
                        facts,
                        probes,
                        notified: false,
                    },
                )),
                (Err(error), _) => {
                    out.insert(index, Err(error));
                }
                (_, None) => {
                    out.insert(index, Err("host not connected".to_string()));
                }
            }
        }
        let providers = self.providers.clone();
        let planned = self.parallel(requests, move |(index, (type_name, sensitive), request)| {
            let _span =
                tracing::debug_span!("provider.observe", resource_type = %type_name).entered();
            let hash = observed_hash(&request.probes);
            let response = providers.plan(&type_name, &request, &sensitive);
            (index, response.map(|response| (response.observed, hash)))
        });
        for (index, result) in planned {
            out.insert(index, result);
        }
        out
    }
}
