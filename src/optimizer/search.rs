//! Plan search over the dag with SkyPilot's dummy source and sink: dynamic
//! programming for chains (`_optimize_by_dp`), an ILP for other dags
//! (`_optimize_by_ilp`, here with good_lp's pure-Rust microlp solver), and
//! the total cost/time of a chosen plan.

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, variable};

use super::cost::{self, End};
use super::plan::{Candidate, Estimator, Target, end_of};
use crate::catalog::Catalogs;
use crate::clouds::launchable;
use crate::error::{Error, Result};
use crate::spec::{Resources, Task};

/// The dag plus a dummy source (before every task without parents) and a
/// dummy sink (after every task without children), as SkyPilot adds them.
/// Nodes `0..n` are tasks, `n` the source, `n + 1` the sink.
#[derive(Debug, Clone)]
pub struct Graph {
    n: usize,
    succ: Vec<Vec<usize>>,
}

impl Graph {
    /// Builds the graph; edges keep the order they were added in.
    pub fn with_dummies(n: usize, edges: &[(usize, usize)]) -> Graph {
        let mut succ = vec![Vec::new(); n + 2];
        for &(a, b) in edges {
            if a < n && b < n && !succ[a].contains(&b) {
                succ[a].push(b);
            }
        }
        let has_parent: Vec<bool> = (0..n)
            .map(|v| (0..n).any(|u| succ[u].contains(&v)))
            .collect();
        let has_child: Vec<bool> = (0..n).map(|v| !succ[v].is_empty()).collect();
        for (v, _) in has_parent.iter().enumerate().filter(|(_, p)| !**p) {
            succ[n].push(v);
        }
        for v in 0..n {
            if !has_child[v] {
                succ[v].push(n + 1);
            }
        }
        Graph { n, succ }
    }
    /// The dummy source.
    pub fn source(&self) -> usize {
        self.n
    }
    /// The dummy sink.
    pub fn sink(&self) -> usize {
        self.n + 1
    }
    /// Every node (tasks, source, sink: the order SkyPilot's graph holds
    /// them in).
    fn nodes(&self) -> std::ops::Range<usize> {
        0..self.n + 2
    }
    /// Edges in the graph's order (by parent, then as added).
    pub fn edges(&self) -> Vec<(usize, usize)> {
        self.nodes()
            .flat_map(|u| self.succ[u].iter().map(move |&v| (u, v)))
            .collect()
    }
    /// Parents of `v` in the graph's order.
    pub fn predecessors(&self, v: usize) -> Vec<usize> {
        self.nodes()
            .filter(|&u| self.succ[u].contains(&v))
            .collect()
    }
    fn in_degree(&self, v: usize) -> usize {
        self.nodes().filter(|&u| self.succ[u].contains(&v)).count()
    }
    /// `networkx.topological_sort`: generation by generation.
    pub fn topological_order(&self) -> Result<Vec<usize>> {
        let mut indegree: Vec<usize> = self.nodes().map(|v| self.in_degree(v)).collect();
        let mut generation: Vec<usize> = self.nodes().filter(|&v| indegree[v] == 0).collect();
        let mut order = Vec::new();
        while !generation.is_empty() {
            order.extend(&generation);
            let mut next = Vec::new();
            for &u in &generation {
                for &c in &self.succ[u] {
                    indegree[c] -= 1;
                    if indegree[c] == 0 {
                        next.push(c);
                    }
                }
            }
            generation = next;
        }
        if order.len() != self.n + 2 {
            return Err(Error::new(
                crate::error::ErrorKind::Value,
                "Graph contains a cycle or graph changed during iteration",
            ));
        }
        Ok(order)
    }
    /// `Dag.is_chain()` with the dummies: one path through every node.
    pub fn is_chain(&self) -> bool {
        let ins: Vec<usize> = self.nodes().map(|v| self.in_degree(v)).collect();
        let outs: Vec<usize> = self.nodes().map(|v| self.succ[v].len()).collect();
        let ok =
            |d: &[usize]| d.iter().all(|&x| x <= 1) && d.iter().filter(|&&x| x == 0).count() == 1;
        ok(&ins) && ok(&outs)
    }
}

/// What a search works on.
pub struct Problem<'a> {
    /// Catalogs (for costs of chosen plans).
    pub cat: &'a Catalogs,
    /// The (local) tasks.
    pub tasks: &'a [Task],
    /// The graph with dummies.
    pub graph: &'a Graph,
    /// Topological order (with dummies).
    pub order: &'a [usize],
    /// Per task: its candidates.
    pub values: &'a [Vec<Candidate>],
    /// Cost or time.
    pub target: Target,
}

impl Problem<'_> {
    /// Candidate count of a node (dummies have one).
    fn count(&self, node: usize) -> usize {
        if node < self.tasks.len() {
            self.values[node].len()
        } else {
            1
        }
    }
    fn value(&self, node: usize, k: usize) -> f64 {
        if node < self.tasks.len() {
            self.values[node][k].value
        } else {
            0.0
        }
    }
    fn resources(&self, node: usize, k: usize) -> Option<&Resources> {
        (node < self.tasks.len()).then(|| &self.values[node][k].resources)
    }
    fn end(&self, node: usize, k: usize) -> End<'_> {
        end_of(self.graph, self.tasks, node, self.resources(node, k))
    }
    /// Egress cost or time of edge `u -> v` with candidates `a`, `b`.
    fn egress(&self, target: Target, u: usize, a: usize, v: usize, b: usize) -> Result<f64> {
        cost::egress(target, self.end(u, a), self.end(v, b))
    }
}

/// `_optimize_by_dp` on a chain: the chosen candidate of every task and
/// the total objective. Ties keep the earlier candidate.
pub fn by_dp(p: &Problem) -> Result<(Vec<usize>, f64)> {
    let n = p.tasks.len();
    let mut best: Vec<Vec<f64>> = vec![Vec::new(); n + 2];
    let mut back: Vec<Vec<usize>> = vec![Vec::new(); n + 2];
    best[p.order[0]] = vec![0.0];
    for w in p.order.windows(2) {
        let (parent, node) = (w[0], w[1]);
        for k in 0..p.count(node) {
            let mut min = f64::INFINITY;
            let mut arg = 0;
            for (pk, &pcost) in best[parent].iter().enumerate() {
                let total = pcost + p.egress(p.target, parent, pk, node, k)?;
                if total < min {
                    min = total;
                    arg = pk;
                }
            }
            best[node].push(p.value(node, k) + min);
            back[node].push(arg);
        }
    }
    let sink = *p.order.last().unwrap_or(&p.graph.sink());
    let objective = best[sink].first().copied().unwrap_or(0.0);
    let mut choice = vec![0usize; n];
    let mut k = 0;
    for &node in p.order.iter().rev() {
        if node < n {
            choice[node] = k;
        }
        if node != p.graph.source() {
            k = back[node].get(k).copied().unwrap_or(0);
        }
    }
    Ok((choice, objective))
}

/// `_optimize_by_ilp`: one-hot choice per node, linearised edge choices,
/// minimizing total cost, or the sink's finish time.
pub fn by_ilp(p: &Problem) -> Result<(Vec<usize>, f64)> {
    let mut vars = ProblemVariables::new();
    let nodes: Vec<usize> = p.order.to_vec();
    let c: Vec<Vec<Variable>> = (0..p.tasks.len() + 2)
        .map(|v| {
            (0..p.count(v))
                .map(|_| vars.add(variable().binary()))
                .collect()
        })
        .collect();
    let edges = p.graph.edges();
    let mut e: Vec<Vec<Variable>> = Vec::new();
    let mut f: Vec<Vec<f64>> = Vec::new();
    for &(u, v) in &edges {
        let (nu, nv) = (p.count(u), p.count(v));
        e.push(
            (0..nu * nv)
                .map(|_| vars.add(variable().binary()))
                .collect(),
        );
        let mut costs = Vec::with_capacity(nu * nv);
        for a in 0..nu {
            for b in 0..nv {
                costs.push(p.egress(p.target, u, a, v, b)?);
            }
        }
        f.push(costs);
    }
    let finish: Vec<Variable> = match p.target {
        Target::Time => (0..p.tasks.len() + 2)
            .map(|_| vars.add(variable().min(0.0)))
            .collect(),
        Target::Cost => Vec::new(),
    };
    let dot = |vs: &[Variable], ks: &[f64]| -> Expression {
        vs.iter().zip(ks).map(|(v, k)| *k * *v).sum()
    };
    let k_of = |v: usize| -> Vec<f64> { (0..p.count(v)).map(|i| p.value(v, i)).collect() };
    let objective: Expression = match p.target {
        Target::Cost => {
            let mut obj = Expression::from(0.0);
            for &v in &nodes {
                obj += dot(&c[v], &k_of(v));
            }
            for (ev, fv) in e.iter().zip(&f) {
                obj += dot(ev, fv);
            }
            obj
        }
        Target::Time => Expression::from(finish[p.graph.sink()]),
    };
    let mut model = vars.minimise(objective.clone()).using(good_lp::microlp);
    for &v in &nodes {
        let sum: Expression = c[v].iter().copied().sum();
        model = model.with(sum.eq(1.0));
    }
    for (idx, &(u, v)) in edges.iter().enumerate() {
        let ev = &e[idx];
        let sum: Expression = ev.iter().copied().sum();
        model = model.with(sum.eq(1.0));
        let nv = p.count(v);
        for (row, &cu) in c[u].iter().enumerate() {
            let s: Expression = (0..nv).map(|col| ev[nv * row + col]).sum();
            model = model.with(s.eq(cu));
        }
        for (col, &cv) in c[v].iter().enumerate() {
            let s: Expression = (0..p.count(u)).map(|row| ev[nv * row + col]).sum();
            model = model.with(s.eq(cv));
        }
        if p.target == Target::Time {
            let rhs = dot(&c[v], &k_of(v)) + finish[u] + dot(ev, &f[idx]);
            model = model.with(Expression::from(finish[v]).geq(rhs));
        }
    }
    let solution = model
        .solve()
        .map_err(|e| Error::assertion(format!("Cannot solve the optimization problem: {e}")))?;
    let choice: Vec<usize> = (0..p.tasks.len())
        .map(|v| {
            c[v].iter()
                .position(|x| solution.value(*x) > 0.5)
                .unwrap_or(0)
        })
        .collect();
    Ok((choice, solution.eval(&objective)))
}

fn runtime(p: &Problem, est: &dyn Estimator, node: usize, choice: &[usize]) -> Result<f64> {
    if node >= p.tasks.len() {
        return Ok(0.0);
    }
    if est.has_estimator(node) {
        est.estimate(node, &p.values[node][choice[node]].resources)
    } else {
        Ok(cost::DEFAULT_RUNTIME)
    }
}

fn chosen(choice: &[usize], node: usize) -> usize {
    choice.get(node).copied().unwrap_or(0)
}

/// `_compute_total_time`: the sink's finish time under the plan.
pub fn total_time(p: &Problem, choice: &[usize], est: &dyn Estimator) -> Result<f64> {
    let mut finish = vec![0.0; p.tasks.len() + 2];
    for &v in p.order {
        let mut start: f64 = 0.0;
        for u in p.graph.predecessors(v) {
            let t =
                finish[u] + p.egress(Target::Time, u, chosen(choice, u), v, chosen(choice, v))?;
            start = start.max(t);
        }
        finish[v] = runtime(p, est, v, choice)? + start;
    }
    Ok(finish[p.graph.sink()])
}

/// `_compute_total_cost`: nodes' cost under the plan plus egress.
pub fn total_cost(p: &Problem, choice: &[usize], est: &dyn Estimator) -> Result<f64> {
    let mut total = 0.0;
    for &v in p.order {
        if v < p.tasks.len() {
            let secs = runtime(p, est, v, choice)?;
            let r = &p.values[v][choice[v]].resources;
            total += launchable::get_cost(p.cat, r, secs)? * p.tasks[v].num_nodes as f64;
        }
        for u in p.graph.predecessors(v) {
            total += p.egress(Target::Cost, u, chosen(choice, u), v, chosen(choice, v))?;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_with_dummies() {
        let g = Graph::with_dummies(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(g.topological_order().unwrap(), vec![4, 0, 1, 2, 3, 5]);
        assert!(!g.is_chain());
        let g = Graph::with_dummies(3, &[(0, 1), (1, 2)]);
        assert!(g.is_chain());
        assert_eq!(g.edges(), vec![(0, 1), (1, 2), (2, 4), (3, 0)]);
        let g = Graph::with_dummies(2, &[]);
        assert!(!g.is_chain());
        assert!(
            Graph::with_dummies(2, &[(0, 1), (1, 0)])
                .topological_order()
                .is_err()
        );
    }
}
