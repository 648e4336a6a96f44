"""A random sample of one layer's mutants, for scripts/mutation --sample (docs/testing.md).

Run by scripts/mutation inside build/mutation/<layer>, with mutmut's interpreter:

    mutation_sample.py draw LAYER SIZE SEED FILE   # generates the mutants, writes the sample
    mutation_sample.py unrun FILE                  # the sample's names without a result yet
    mutation_sample.py report FILE                 # counts the sample's results, with a 95% CI

The sample is stratified by module: each module gets its share of SIZE in proportion to its
mutants (at least MIN_PER_MODULE, or all of a smaller module), the first names of the module's
sorted names shuffled by random.Random(SEED). The same mutmut version, source tree and seed
draw the same names, and a smaller SIZE draws a subset of a larger one's (shares permitting).
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
from collections import Counter
from pathlib import Path

MIN_PER_MODULE = 5
Z95 = 1.959963984540054


def generate() -> None:
    """Writes mutants/ as `mutmut run` does before it runs any test."""
    from mutmut.__main__ import create_mutants  # sets the fork start method mutmut uses
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths

    set_mutant_under_test("mutant_generation")
    os.makedirs("mutants", exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    create_mutants(1)


def mutants_by_module(layer: str) -> dict[str, list[str]]:
    by_module: dict[str, list[str]] = {}
    for meta in sorted(Path("mutants/src/meetlink", layer).glob("*.py.meta")):
        names = sorted(json.loads(meta.read_text())["exit_code_by_key"])
        if names:
            by_module[meta.name.removesuffix(".py.meta")] = names
    return by_module


def allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Proportional shares of `total` (largest remainders), at least MIN_PER_MODULE each."""
    population = sum(sizes.values())
    exact = {m: total * n / population for m, n in sizes.items()}
    share = {m: math.floor(x) for m, x in exact.items()}
    for m in sorted(exact, key=lambda m: (share[m] - exact[m], m))[: total - sum(share.values())]:
        share[m] += 1
    return {m: min(sizes[m], max(share[m], MIN_PER_MODULE)) for m in sizes}


def draw(layer: str, size: int, seed: int, out: str) -> None:
    generate()
    by_module = mutants_by_module(layer)
    share = allocate({m: len(names) for m, names in by_module.items()}, size)
    rng = random.Random(seed)
    lines = [f"# seed {seed}, {sum(share.values())} of {sum(map(len, by_module.values()))} mutants"]
    for module, names in by_module.items():
        order = list(names)
        rng.shuffle(order)  # draws the same for any SIZE
        lines.append(f"# {module}: {share[module]} of {len(names)}")
        lines.extend(sorted(order[: share[module]]))
    Path(out).write_text("\n".join(lines) + "\n")


def unrun(sample_file: str) -> None:
    """The sample's names that have no result yet (a stopped run resumes with these)."""
    names = [n for n in Path(sample_file).read_text().splitlines() if n and n[0] != "#"]
    status: dict[str, int | None] = {}
    for meta in Path("mutants/src/meetlink").glob("*/*.py.meta"):
        status.update(json.loads(meta.read_text())["exit_code_by_key"])
    print("\n".join(n for n in names if status.get(n) is None))


def wilson(killed: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = killed / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return centre - half, centre + half


def report(sample_file: str) -> None:
    from mutmut.stats import status_by_exit_code

    lines = Path(sample_file).read_text().splitlines()
    names = [line for line in lines if line and not line.startswith("#")]
    population = {
        line.split()[1].rstrip(":"): int(line.split()[-1])
        for line in lines
        if line.startswith("# ") and " of " in line and not line.startswith("# seed")
    }
    layer = names[0].split(".")[1]
    status = {}
    for meta in Path("mutants/src/meetlink", layer).glob("*.py.meta"):
        status.update(json.loads(meta.read_text())["exit_code_by_key"])
    by_module: dict[str, Counter[str]] = {}
    for name in names:
        module = name.split(".")[2]
        by_module.setdefault(module, Counter())[status_by_exit_code[status.get(name)]] += 1
    print("module | mutants | sampled | killed | timeout | survived | no tests | not run | other")
    weighted = weight = 0.0
    total: Counter[str] = Counter()
    for module, counts in sorted(by_module.items()):
        total += counts
        other = sum(counts.values()) - sum(
            counts[s] for s in ("killed", "timeout", "survived", "no tests", "not checked")
        )
        print(
            f"{module} | {population.get(module, '?')} | {sum(counts.values())} | "
            f"{counts['killed']} | {counts['timeout']} | {counts['survived']} | "
            f"{counts['no tests']} | {counts['not checked']} | {other}"
        )
        tested = counts["killed"] + counts["timeout"] + counts["survived"]
        if tested and module in population:
            # a module's share of the layer's tested mutants, estimated from its sample
            share = population[module] * tested / sum(counts.values())
            weighted += share * (counts["killed"] + counts["timeout"]) / tested
            weight += share
    killed = total["killed"] + total["timeout"]
    tested = killed + total["survived"]
    low, high = wilson(killed, tested)
    print(
        f"sample: {sum(total.values())} mutants, {tested} tested (killed or timed out "
        f"{killed}, survived {total['survived']}), {total['no tests']} without tests, "
        f"{total['not checked']} not run, "
        f"{sum(total.values()) - tested - total['no tests'] - total['not checked']} other "
        "(suspicious, segfault: not counted)"
    )
    print(
        f"score {100 * killed / max(tested, 1):.1f}% of the tested, 95% Wilson interval "
        f"{100 * low:.1f}% to {100 * high:.1f}%; weighted by module size "
        f"{100 * weighted / max(weight, 1e-9):.1f}%"
    )
    print("survivors (mutmut show NAME):")
    for name in names:
        if status_by_exit_code[status.get(name)] == "survived":
            print(f"    {name}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["draw"] and len(sys.argv) == 6:
        draw(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1:2] == ["unrun"] and len(sys.argv) == 3:
        unrun(sys.argv[2])
    elif sys.argv[1:2] == ["report"] and len(sys.argv) == 3:
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
