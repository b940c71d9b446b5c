"""The pipeline's stage graph, read from dvc.yaml by DVC itself (the graph `dvc dag` shows).

Orchestrators build one task per stage and one edge per dependency from this, at run time, so
adding a stage to dvc.yaml adds a task with no other edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StageGraph:
    """Stages of dvc.yaml in a topological order, and edges (upstream, downstream)."""

    stages: tuple[str, ...]
    edges: frozenset[tuple[str, str]]

    def upstream(self, stage: str) -> list[str]:
        """The stages `stage` directly depends on, in pipeline order."""
        return [s for s in self.stages if (s, stage) in self.edges]


def read_graph(repo: Path) -> StageGraph:
    """The graph of the dvc.yaml stages of `repo` (`.dvc` files of tracked data are left out).

    DVC's index graph points from a stage to the stages it depends on; `dvc dag` draws it
    reversed, upstream → downstream, and so does this.
    """
    from dvc.repo import Repo
    from dvc.stage import PipelineStage

    with Repo(str(repo)) as dvc_repo:
        graph = dvc_repo.index.graph
        names = {node: _address(node, repo) for node in graph if isinstance(node, PipelineStage)}
        declared = [names[stage] for stage in dvc_repo.index.stages if stage in names]
        edges = frozenset(
            (names[dep], names[stage])
            for stage, dep in graph.edges
            if stage in names and dep in names
        )
    return StageGraph(stages=_stable_topological(declared, edges), edges=edges)


def _address(stage, repo: Path) -> str:  # noqa: ANN001 (a dvc PipelineStage)
    """How `dvc repro` in `repo` names the stage: `name`, or `sub/dvc.yaml:name`."""
    dvcfile = Path(stage.path).resolve().relative_to(repo.resolve())
    return stage.name if dvcfile == Path("dvc.yaml") else f"{dvcfile.as_posix()}:{stage.name}"


def _stable_topological(declared: list[str], edges: frozenset[tuple[str, str]]) -> tuple[str, ...]:
    """Kahn's algorithm taking the first ready stage in dvc.yaml's order (DVC rejects cycles)."""
    remaining = list(declared)
    done: list[str] = []
    while remaining:
        ready = next(s for s in remaining if all(a in done for a, b in edges if b == s))
        done.append(ready)
        remaining.remove(ready)
    return tuple(done)
