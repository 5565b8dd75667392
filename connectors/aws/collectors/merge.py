"""One verdict per check and account from the results of each region's job."""

from connectors.aws.collectors.base import Result, Verdict

# The worst verdict wins when every region must pass.
ORDER = (Verdict.ERROR, Verdict.FAIL, Verdict.PASS, Verdict.NOT_APPLICABLE)


def combine(results: dict[str, Result], any_region: bool = False) -> Result:
    """Merge {region: result} of one check: data side by side, the verdict judged over all."""
    if len(results) == 1:
        return next(iter(results.values()))
    data: dict = {}
    for result in results.values():
        for key, value in result.data.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data.setdefault(key, value)
    data = {key: dict(sorted(value.items())) if isinstance(value, dict) else value
            for key, value in data.items()}
    verdicts = {result.verdict for result in results.values()}
    if any_region and Verdict.PASS in verdicts and Verdict.ERROR not in verdicts:
        verdict = Verdict.PASS
    else:
        verdict = next(v for v in ORDER if v in verdicts)
    reason = " ".join(f"{region}: {result.reason}" for region, result in sorted(results.items())
                      if result.verdict is verdict or verdict is Verdict.PASS)
    return Result(verdict, reason, data)
