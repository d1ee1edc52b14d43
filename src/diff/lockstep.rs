//! Runs one planned case on the reference simulator and the target side by side, step by
//! step, through the shared step runner (so a written scenario replays exactly what ran),
//! and stops at the first disagreement.

use super::DiffError;
use super::compare::{self, Deltas, Disagreement, Observation, WATCHED};
use super::plan::Plan;
use crate::report::StepResult;
use crate::target::Target;
use crate::target::session::Session;
use crate::target::step::{self, StepCtx};

/// What one case did on both sides.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Per planned step run: the reference's results, the target's.
    pub steps: Vec<(Vec<StepResult>, Vec<StepResult>)>,
    /// The reference's balance changes after each step (when compared).
    pub reference_money: Vec<Option<Deltas>>,
    pub disagreement: Option<Disagreement>,
}

struct Side {
    name: &'static str,
    session: Session,
    start: Deltas,
}

impl Side {
    async fn open(name: &'static str, target: &Target, plan: &Plan) -> Result<Side, DiffError> {
        let fail = |message: String| DiffError::Session { side: name, message };
        let mut session = Session::open(target).await.map_err(|e| fail(e.to_string()))?;
        let now = session.tran_dtime().await;
        for (var, template) in &plan.vars {
            let t =
                crate::scenario::template::Template::parse(template).map_err(|e| fail(format!("vars.{var}: {e}")))?;
            let value = t
                .render(&|n| crate::target::call::lookup(&session, &now, n))
                .map_err(|e| fail(format!("vars.{var}: {e}")))?;
            session.vars.insert(var.clone(), value);
        }
        Ok(Side { name, session, start: [None; 3] })
    }

    async fn balances(&self) -> Result<Deltas, DiffError> {
        let mut out = [None; 3];
        for (i, account) in WATCHED.iter().enumerate() {
            let var = account.template().trim_start_matches("${").trim_end_matches('}');
            let fin = self.session.data.get(var);
            if fin.is_empty() {
                continue;
            }
            let ledger =
                |e: crate::target::admin::AdminError| DiffError::Ledger { side: self.name, message: e.to_string() };
            out[i] = Some(self.session.admin().map_err(ledger)?.balance(fin).await.map_err(ledger)?);
        }
        Ok(out)
    }

    async fn deltas(&self) -> Result<Deltas, DiffError> {
        let now = self.balances().await?;
        let mut out = [None; 3];
        for i in 0..3 {
            out[i] = match (now[i], self.start[i]) {
                (Some(n), Some(s)) => Some(n - s),
                _ => None,
            };
        }
        Ok(out)
    }
}

/// Runs `plan` on both targets; `money` compares balances after money-moving steps.
pub async fn run_case<'a>(
    plan: &Plan,
    reference: &'a Target,
    target: &'a Target,
    money: bool,
) -> Result<Trace, DiffError> {
    let (r, t) = tokio::join!(Side::open("reference", reference, plan), Side::open("target", target, plan));
    let (mut r, mut t) = (r?, t?);
    if money {
        let (rb, tb) = tokio::join!(r.balances(), t.balances());
        r.start = rb?;
        t.start = tb?;
    }
    let mut trace = Trace::default();
    for (i, planned) in plan.steps.iter().enumerate() {
        let (rc, tc) = (StepCtx::plain(reference), StepCtx::plain(target));
        let (rr, tr) = tokio::join!(
            step::run(&rc, &mut r.session, &planned.step, i + 1),
            step::run(&tc, &mut t.session, &planned.step, i + 1)
        );
        let ro: Vec<Observation> = rr.iter().map(|x| compare::observe(planned.api, x)).collect();
        let to: Vec<Observation> = tr.iter().map(|x| compare::observe(planned.api, x)).collect();
        trace.steps.push((rr, tr));
        let mut found = compare::compare(i, target, &ro, &to);
        let mut ref_money = None;
        if money && planned.moves_money {
            let (rd, td) = tokio::join!(r.deltas(), t.deltas());
            let (rd, td) = (rd?, td?);
            ref_money = Some(rd);
            if found.is_none() {
                found = compare::compare_money(i, &rd, &td);
            }
        }
        trace.reference_money.push(ref_money);
        if found.is_some() {
            trace.disagreement = found;
            break;
        }
    }
    Ok(trace)
}
