"""The oldest Copier that copier.yml accepts (`_min_copier_version`) renders the same
service as the pinned one, updates it from one tagged version to the next as the pinned
one does, and refuses a bad answer naming its question and rule.

The README tells a team to bring Copier 9.11.3 or newer themselves, and this repository's
own environment pins a newer one, which every other test renders with: a template feature
that only a newer Copier has would pass here and break for the team on the oldest.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, captured, environment, render
from tests.repos import (
    NEW_COMMENT,
    ROUTES,
    commit,
    copy,
    git,
    reserving_less,
    snapshot,
    two_versions,
)
from tests.variants import VARIANTS

OLDEST = yaml.safe_load((ROOT / "copier.yml").read_text())["_min_copier_version"]
UV = Path(sys.executable).parent / "uv"


@pytest.fixture(scope="module")
def oldest_copier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `copier` command of a fresh environment holding Copier at OLDEST."""
    venv = tmp_path_factory.mktemp("oldest-copier") / "venv"
    env = environment(VIRTUAL_ENV=str(venv))
    for command in (
        [str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)],
        [str(UV), "pip", "install", "--quiet", f"copier=={OLDEST}"],
    ):
        result = captured(command, ROOT, env)
        assert result.returncode == 0, result.stderr[-3000:]
    return venv / "bin" / "copier"


def copy_with(
    copier: Path,
    destination: Path,
    answers: dict[str, object],
    template: Path = ROOT,
    version: str = "HEAD",
) -> str:
    """`copier copy` of `template` at `version` (this checkout, uncommitted changes
    included, as `render` takes it) with `answers` from a file, as the README gives them;
    what Copier printed on failure."""
    data = destination.parent / f"{destination.name}-answers.yml"
    data.write_text(yaml.safe_dump(answers))
    command = [str(copier), "copy", "--quiet", "--defaults", f"--vcs-ref={version}"]
    command += ["--data-file", str(data), str(template), str(destination)]
    return printed_on_failure(captured(command, ROOT, environment()))


def printed_on_failure(result: subprocess.CompletedProcess[str]) -> str:
    return "" if result.returncode == 0 else result.stdout + result.stderr


def differing(left: Path, right: Path) -> list[str]:
    """The files that differ between two trees, or are in one only; but for the answers
    file (and .git)."""
    old, new = snapshot(left), snapshot(right)
    names = (old.keys() | new.keys()) - {".copier-answers.yml"}
    return sorted(name for name in names if old.get(name) != new.get(name))


@pytest.mark.parametrize("variant", ["every-type", "threadpool"])
def test_the_oldest_copier_renders_what_the_pinned_one_does(
    oldest_copier: Path, variant: str, tmp_path: Path
) -> None:
    oldest, pinned = tmp_path / "oldest", tmp_path / "pinned"
    assert copy_with(oldest_copier, oldest, VARIANTS[variant]) == ""
    render(pinned, **VARIANTS[variant])
    assert differing(oldest, pinned) == []
    # The answers file records the commit, which differs while the checkout has changes
    # (each Copier commits them apart, at its own time); its answers agree.
    old, new = (
        yaml.safe_load((tree / ".copier-answers.yml").read_text()) for tree in (oldest, pinned)
    )
    assert old.pop("_commit")
    assert new.pop("_commit")
    assert old == new


def test_the_oldest_copier_updates_a_service_to_the_next_version(
    oldest_copier: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    template = two_versions(tmp_path_factory)
    service = tmp_path / "service"
    # With the manifests: k8s/README.md is the template's page, not the team's README.md.
    manifests: dict[str, object] = {"docker": True, "kubernetes": True}
    assert copy_with(oldest_copier, service, manifests, template, "v0.1.0") == ""
    git(service, "init", "-q")
    commit(service, "render")
    command = [str(oldest_copier), "update", "--quiet", "--defaults", "--vcs-ref=v0.2.0"]
    assert printed_on_failure(captured(command, service, environment())) == ""
    assert NEW_COMMENT in (service / "src/book_service/config.py").read_text()
    # What the pinned Copier renders at that version, to the byte, the answers file included,
    # but for the two files that are the team's once rendered (`_skip_if_exists`): kept as
    # v0.1.0 wrote them.
    fresh = copy(template, tmp_path / "fresh", "v0.2.0", **manifests)
    assert differing(service, fresh) == ["README.md", ROUTES]
    assert "Team routes" in (service / ROUTES).read_text()
    assert git(service, "diff", "--name-only", "--diff-filter=U") == ""
    assert (service / ".copier-answers.yml").read_text() == (
        fresh / ".copier-answers.yml"
    ).read_text()


def test_the_oldest_copier_stops_an_update_whose_recorded_answer_is_now_refused(
    oldest_copier: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Before 9.8, Copier took a default unchecked: the update wrote the new version over
    # the service, the team's edits lost, before it stopped (copier.yml, _external_data).
    template = two_versions(tmp_path_factory, reserving_less)
    service = tmp_path / "service"
    answers: dict[str, object] = {"resources": [{"config_dict": ["name str(20)"]}]}
    assert copy_with(oldest_copier, service, answers, template, "v0.1.0") == ""
    git(service, "init", "-q")
    commit(service, "render")
    before = snapshot(service)
    command = [str(oldest_copier), "update", "--quiet", "--defaults", "--vcs-ref=v0.2.0"]
    printed = printed_on_failure(captured(command, service, environment()))
    assert "Validation error for question 'resources'" in printed
    assert '"config_dict" would make the class "ConfigDict"' in printed
    assert snapshot(service) == before


def test_the_oldest_copier_refuses_a_bad_answer_naming_its_question_and_rule(
    oldest_copier: Path, tmp_path: Path
) -> None:
    printed = copy_with(oldest_copier, tmp_path / "service", {"pool_min": 9, "pool_max": 4})
    assert "question 'pool_min': pool_min (9) must not exceed pool_max (4)" in printed, printed
    assert not (tmp_path / "service").exists()
