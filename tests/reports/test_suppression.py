"""Small-cell suppression for the clinic admin, with the complement: a total minus the other shown
counts must not give a hidden one back. Hand-built reports; every expectation worked out here."""

from __future__ import annotations

from reports.access import SUPPRESSED, suppress_goals, suppress_outcomes

H = SUPPRESSED


def _window(due, answered, improved, worse):
    return {"due": due, "answered": answered, "improved": improved, "worse": worse, "median_change": -2.0, "completeness": 0.9}


def _cell(treated, with_baseline, **windows):
    return {"treated": treated, "with_baseline": with_baseline, "followup": windows}


def _report(total, families):
    return {**total, "families": families}


def test_one_hidden_family_hides_the_next_smallest_too():
    # ESI 12 + RFA 7 + MBB 3 = 22 treated: MBB's 3 is hidden, and 22 − 12 − 7 would give it back,
    # so RFA's 7 (the smallest shown) goes too. With a baseline: 20 = 11 + 6 + 3 -> the same.
    report = _report(
        _cell(22, 20, **{"6w": _window(20, 18, 9, 6)}),
        {
            "ESI": _cell(12, 11, **{"6w": _window(11, 10, 5, 3)}),
            "RFA": _cell(7, 6, **{"6w": _window(6, 5, 2, 2)}),
            "MBB": _cell(3, 3, **{"6w": _window(3, 3, 2, 1)}),
        },
    )
    out = suppress_outcomes(report)
    fam = out["families"]
    assert (out["treated"], fam["ESI"]["treated"], fam["RFA"]["treated"], fam["MBB"]["treated"]) == (22, 12, H, H)
    assert (out["with_baseline"], fam["ESI"]["with_baseline"], fam["RFA"]["with_baseline"], fam["MBB"]["with_baseline"]) == (20, 11, H, H)
    w = {name: fam[name]["followup"]["6w"] for name in fam}
    # due 20 = 11 + 6 + 3: MBB hidden -> RFA's 6 too. answered 18 = 10 + 5 + 3: RFA's 5 too.
    assert (out["followup"]["6w"]["due"], w["ESI"]["due"], w["RFA"]["due"], w["MBB"]["due"]) == (20, 11, H, H)
    assert (w["ESI"]["answered"], w["RFA"]["answered"], w["MBB"]["answered"]) == (10, H, H)
    # improved 9 = 5 + 2 + 2: two already hidden, nothing more. worse 6 = 3 + 2 + 1: all three under 5.
    assert (out["followup"]["6w"]["improved"], w["ESI"]["improved"], w["RFA"]["improved"], w["MBB"]["improved"]) == (9, 5, H, H)
    assert (out["followup"]["6w"]["worse"], w["ESI"]["worse"]) == (6, H)
    # RFA's answered is hidden only by the complement: its completeness and median go with it.
    assert w["RFA"]["completeness"] is None and w["RFA"]["median_change"] is None
    assert w["ESI"]["completeness"] == 0.9 and w["ESI"]["median_change"] == -2.0


def test_no_complement_when_nothing_or_two_are_hidden():
    report = _report(_cell(30, 10), {"ESI": _cell(20, 6), "RFA": _cell(10, 4)})
    out = suppress_outcomes(report)
    # treated 30 = 20 + 10: nothing under 5, nothing hidden.
    assert (out["treated"], out["families"]["ESI"]["treated"], out["families"]["RFA"]["treated"]) == (30, 20, 10)
    # with a baseline 10 = 6 + 4: RFA's 4 is hidden, so ESI's 6 goes too (the total stays).
    assert (out["with_baseline"], out["families"]["ESI"]["with_baseline"], out["families"]["RFA"]["with_baseline"]) == (10, H, H)


def test_complement_spreads_until_no_group_has_a_single_hidden_cell():
    # Goals by measure add up to the All row. Met: 9 = 6 + 3 -> PEG's 6 hidden with NRS's 3.
    # Not met: 12 = 7 + 5, nothing hidden. No data: 4 = 0 + 4: all under 5.
    report = {
        "met": 9,
        "not_met": 12,
        "no_data": 4,
        "measures": {"PEG": {"met": 6, "not_met": 7, "no_data": 0}, "NRS": {"met": 3, "not_met": 5, "no_data": 4}},
    }
    out = suppress_goals(report)
    assert (out["met"], out["measures"]["PEG"]["met"], out["measures"]["NRS"]["met"]) == (9, H, H)
    assert (out["not_met"], out["measures"]["PEG"]["not_met"], out["measures"]["NRS"]["not_met"]) == (12, 7, 5)
    assert (out["no_data"], out["measures"]["PEG"]["no_data"], out["measures"]["NRS"]["no_data"]) == (H, H, H)
    assert report["measures"]["PEG"]["met"] == 6  # the selector's figures are left as they were


def test_a_lone_family_equals_the_total_and_hides_with_it():
    out = suppress_outcomes(_report(_cell(3, 2), {"ESI": _cell(3, 2)}))
    assert (out["treated"], out["families"]["ESI"]["treated"]) == (H, H)
    out = suppress_outcomes(_report(_cell(8, 5), {"ESI": _cell(8, 5)}))
    assert (out["treated"], out["families"]["ESI"]["treated"], out["with_baseline"]) == (8, 8, 5)
