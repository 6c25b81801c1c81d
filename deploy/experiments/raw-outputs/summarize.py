"""The table of README.md from data/runs.jsonl (run_raw_outputs.py): per run, the normalised test set's own
truth at epoch 3, the three series' readings of epochs 1-3, whether the as-given reading carried the
collapsed_on_the_sphere hint, and the two monitors' warning steps; then how often each way read as the loss
measures (a collapse the normalised truth shows: spread under 0.25 α or P@1 near chance).

    python3 summarize.py data/runs.jsonl
"""
import json
import sys


def short(headline):
    return (headline or "?").replace("partial ", "p ").replace("collapsed ", "C ").replace("healthy", "ok")


def main():
    runs = [json.loads(line) for line in open(sys.argv[1])]
    print("| run | epoch 3: P@1, spread/α (normalised) | as given (epochs 1-3) | sphere hint | normalize (epochs 1-3) | by hand (epochs 1-3) | monitor warning: given / normalize |")
    print("|---|---|---|---|---|---|---|")
    agree = {"as_given": 0, "normalize": 0, "by_hand": 0}
    total = 0
    for run in runs:
        last = run["truth"][-1]
        reads = {name: [r["headline"] for r in steps if r["step"] > 0] for name, steps in run["readings"].items()}
        hinted = [r["step"] for r in run["readings"]["as_given"] if "collapsed_on_the_sphere" in (r.get("context") or [])]
        warn = run["monitor_warnings"]
        print(f"| n={run['embedding_dim']} Adam {run['learning_rate']:g} seed {run['seed']} | {last['p1']:.2f}, {last['spread_over_margin']:.2f} "
              f"| {' · '.join(short(h) for h in reads['as_given'])} | {', '.join(map(str, hinted)) or '—'} "
              f"| {' · '.join(short(h) for h in reads['normalize'])} | {' · '.join(short(h) for h in reads['by_hand'])} "
              f"| {warn['as_given']['warning_step']} / {warn['normalize']['warning_step']} |")
        for t, i in zip(run["truth"][1:], range(3)):
            collapsed = t["spread_over_margin"] < 0.25
            total += 1
            for name in agree:
                agree[name] += ("distances" in (reads[name][i] or "")) == collapsed
    print()
    print(f"Checkpoints whose reading says 'distances' exactly when the normalised spread is under 0.25 α, of {total}: "
          + ", ".join(f"{name} {n}" for name, n in agree.items()))


if __name__ == "__main__":
    main()
