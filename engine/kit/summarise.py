"""The GPU kit's one JSON: the JNI build, the parity tests (from the JUnit console's XML report), the engine's rows
and the reference's, side by side with their ratios, written to OUT/gpu-kit.json."""
import argparse
import glob
import json
import os
import re
import xml.etree.ElementTree as ElementTree


def parity(folder):
    result = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "failed": [], "passed": []}
    for report in glob.glob(os.path.join(folder, "*.xml")):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            name = case.get("classname", "") + "." + case.get("name", "")
            result["tests"] += 1
            if case.find("failure") is not None or case.find("error") is not None:
                kind = "failures" if case.find("failure") is not None else "errors"
                result[kind] += 1
                node = case.find("failure") if case.find("failure") is not None else case.find("error")
                result["failed"].append({"test": name, "message": (node.get("message") or node.text or "")[:2000]})
            elif case.find("skipped") is not None:
                result["skipped"] += 1
            else:
                result["passed"].append(name)
    return result


def load(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError) as e:
        return {"missing": str(e)}


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--out", "--jni", "--parity", "--engine", "--reference", "--status", "--sizes"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--seconds", type=int, required=True)
    args = parser.parse_args()
    engine = load(args.engine)
    reference = load(args.reference)
    theirs = {r["row"]: r for r in reference.get("rows", [])}
    side_by_side = []
    for row in engine.get("rows", []):
        # a pair row's reference is its UNet loop (the engine's row also encodes the captions and decodes the images)
        other = theirs.get(row["row"]) or theirs.get(re.sub(r" \d+x\d+$", "", row["row"]) + ", UNet loop")
        entry = {"row": row["row"], "editstream_seconds": row["seconds"]}
        if other is not None:
            entry["reference_row"] = other["row"]
            entry["reference_seconds"] = other["seconds"]
            entry["reference_over_ours"] = other["seconds"] / row["seconds"]
        side_by_side.append(entry)
    jni = open(args.jni).read().splitlines()
    summary = {
        "sizes": args.sizes,
        "seconds": args.seconds,
        "status": dict(kv.split("=") for kv in args.status.split(",")),
        "jni": [line for line in jni if line.startswith(("building", "wrote", "export"))],
        "parity": parity(args.parity),
        "engine": engine,
        "reference": reference,
        "side_by_side": side_by_side,
    }
    with open(os.path.join(args.out, "gpu-kit.json"), "w") as f:
        json.dump(summary, f, indent=2)
    p = summary["parity"]
    print("parity: %d tests, %d failures, %d errors, %d skipped; %d rows side by side; wrote %s" % (
        p["tests"], p["failures"], p["errors"], p["skipped"], len(side_by_side), os.path.join(args.out, "gpu-kit.json")))


if __name__ == "__main__":
    main()
