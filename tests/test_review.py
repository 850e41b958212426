"""Review in tiers and rounds (monev/engine/review.py): who verifies each row of the
example plans, where nobody can, and a checkpoint's review through two rounds in the
engine and the admin's CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import app
from monev.config import DEFAULT_REASONS, MonevConfig, load_config
from monev.engine import lifecycle, review
from monev.engine.people import holders
from monev.engine.review import Tier, row_tiers, state_of, without_verifier
from monev.errors import ConfigError, MonevError
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import open_session_factory
from tests.conftest import ALL_PLANS, ROOT, ZI_MUARO

CFG = ROOT / "config" / "monev.yaml"
MUARO, KOTA = "KPU Kabupaten Muaro Jambi", "KPU Kota Jambi"
KETUA, KOORD = "Ketua Tim ZI Contoh", "Koordinator Pengawasan"


def _tiers(cfg: MonevConfig, satker: str, area: str, komponen: str = "",
           submitter: str | None = None) -> list[Tier]:
    sc = cfg.satker(satker)
    assert sc is not None
    return row_tiers(sc.portal, sc.people, area, komponen, submitter)


def test_every_row_of_the_example_plans_has_a_verifier() -> None:
    cfg = load_config(CFG)
    checked = 0
    for path in ALL_PLANS:
        plan = load_plan(path)
        for item in plan.items:
            tiers = _tiers(cfg, plan.header.satker, item.area, item.komponen)
            assert tiers and not without_verifier(tiers), (path.name, item.area,
                                                           item.komponen)
            sc = cfg.satker(plan.header.satker)
            assert sc is not None
            pics = {p.name for p in holders("pic", item.area, item.komponen, sc.people)}
            assert not pics & {n for t in tiers for n in t.people}, "nobody verifies own row"
            checked += 1
    assert checked > 200


def test_tiers_go_up_from_the_rows_holder() -> None:
    cfg = load_config(CFG)
    # a PIC's row: the area's koordinator, then the Ketua Tim ZI
    assert _tiers(cfg, MUARO, "Penguatan Pengawasan", "Penerapan SPIP") == [
        Tier("koordinator", "koordinator", (KOORD,)),
        Tier("ketua_tim", "ketua_tim", (KETUA,))]
    # held by its koordinator (no PIC of its own): the Ketua Tim ZI alone
    assert _tiers(cfg, MUARO, "PENATAAN TATA LAKSANA", "Prosedur operasional") == [
        Tier("koordinator", "ketua_tim", (KETUA,))]
    # held by the Ketua Tim ZI (no koordinator, no PIC): the Sekretaris stands in
    assert _tiers(cfg, MUARO, "Penataan Peraturan Perundang-undangan", "x") == [
        Tier("koordinator", "sekretaris", ("Sekretaris Contoh",))]
    assert _tiers(cfg, KOTA, "MANAJEMEN PERUBAHAN", "Tim Kerja") == [
        Tier("koordinator", "sekretaris", ("Sekretaris Kota Contoh",))]
    # evidence the koordinator sent for the PIC goes to the Ketua Tim ZI
    assert _tiers(cfg, MUARO, "Penguatan Pengawasan", "Penerapan SPIP", KOORD) == [
        Tier("koordinator", "ketua_tim", (KETUA,))]


def test_a_satker_with_nobody_above_the_holder_is_reported(tmp_path: Path) -> None:
    text = CFG.read_text(encoding="utf-8").replace(
        "      - {name: Sekretaris Kota Contoh, role: sekretaris, "
        "email: sekretaris.kota@example.org}\n", "")
    path = tmp_path / "monev.yaml"
    path.write_text(text, encoding="utf-8")
    tiers = _tiers(load_config(path), KOTA, "MANAJEMEN PERUBAHAN")
    assert without_verifier(tiers) and tiers == [Tier("koordinator", "koordinator", ())]
    # unless the satker lets the holder verify their own rows
    allowed = tmp_path / "sendiri.yaml"
    allowed.write_text(text.replace("    province: Jambi\n    people:",
                                    "    province: Jambi\n    portal: {self_verification: "
                                    "true}\n    people:"), encoding="utf-8")
    assert _tiers(load_config(allowed), KOTA, "MANAJEMEN PERUBAHAN") == [
        Tier("koordinator", "ketua_tim", ("Ketua Tim ZI Kota Contoh",))]


@pytest.mark.parametrize(("portal", "wrong"), [
    ("{review: {tiers: [koordinator, kasubbag], escalation: [koordinator, ketua_tim]}}",
     "kasubbag tidak ada"),
    ("{review: {tiers: [ketua_tim, koordinator], escalation: [koordinator, ketua_tim]}}",
     "urutan"),
    ("{verifiers: [pic, ketua_tim]}", "pic"),
])
def test_tiers_off_the_escalation_chain_are_config_errors(tmp_path: Path, portal: str,
                                                          wrong: str) -> None:
    path = tmp_path / "monev.yaml"
    path.write_text(CFG.read_text(encoding="utf-8").replace(
        "    people:\n", f"    portal: {portal}\n    people:\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=wrong) as err:
        load_config(path)
    assert "satkers.0.portal" in str(err.value)


def test_three_tiers_and_preset_reasons_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "monev.yaml"
    path.write_text(CFG.read_text(encoding="utf-8").replace(
        "    people:\n", "    portal: {review: {tiers: [koordinator, ketua_tim, sekretaris],"
        " reasons: [Foto buram]}}\n    people:\n", 1), encoding="utf-8")
    sc = load_config(path).satker(MUARO)
    assert sc is not None and sc.portal.review.reasons == ["Foto buram"]
    assert [t.people for t in row_tiers(sc.portal, sc.people, "Penguatan Pengawasan",
                                        "Penerapan SPIP")] == [
        (KOORD,), (KETUA,), ("Sekretaris Contoh",)]
    default = load_config(CFG).satker(MUARO)
    assert default is not None and default.portal.review.reasons == list(DEFAULT_REASONS)


def _entry(kind: str, round_no: int, tier: int) -> m.ReviewEntry:
    return m.ReviewEntry(kind=kind, round=round_no, tier=tier)


def test_a_round_starts_at_the_tier_that_rejected_the_last() -> None:
    two = [Tier("koordinator", "koordinator", ("K",)), Tier("ketua_tim", "ketua_tim", ("T",))]
    first = [_entry("kirim", 1, 0)]
    assert state_of("submitted", 1, first, two).tier == 1
    accepted = [*first, _entry("terima", 1, 1)]
    st = state_of("submitted", 1, accepted, two)
    assert (st.tier, st.last, st.recheck) == (2, True, False)
    back = [*accepted, _entry("tolak", 1, 2), _entry("kirim", 2, 0)]
    st = state_of("submitted", 2, back, two)
    assert (st.tier, st.recheck, st.waiting) == (2, True, two[1]), "Tim ZI checks its own"
    outside = [*first, _entry("tolak", 1, 0), _entry("kirim", 2, 0)]
    assert state_of("submitted", 2, outside, two).tier == 1
    assert state_of("verified", 2, back, two).waiting is None


def test_two_rounds_in_the_engine_and_the_cli(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """Round 1 rejected by the koordinator with a preset reason and a note (the PIC's
    digest carries both) → round 2 with a tanggapan is a re-check → koordinator, then
    the admin's `monev evidence accept` for the last tier → verified. The CLI accepts
    one tier at a time, or all that are left with --final."""
    for key, value in {"MONEV_DATABASE_URL": db_url, "MONEV_TODAY": "2025-10-28",
                       "MONEV_CONFIG": str(CFG), "MONEV_HOME": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    assert runner.invoke(app, ["plan", "import", str(ZI_MUARO), "-q"]).exit_code == 0
    cfg = load_config(CFG)
    sc = cfg.satker(MUARO)
    assert sc is not None
    factory = open_session_factory(db_url)
    with factory() as s:
        cps = list(s.scalars(select(m.Checkpoint).join(m.Checkpoint.item)
                             .where(m.Item.komponen.ilike("%SPIP%")).order_by(m.Checkpoint.due)))
        ref = [f"{c.item.key}@{c.period}" for c in cps[:2]]
        ids = [c.id for c in cps[:2]]
    pic = "Pegawai Contoh Dua"
    for r in ref:
        sent = runner.invoke(app, ["evidence", "submit", r, "--by", pic, "--link",
                                   "https://drive.test/notulen"])
        assert sent.exit_code == 0, sent.output
    with factory.begin() as s:
        cp = s.get(m.Checkpoint, ids[0])
        assert cp is not None
        with pytest.raises(MonevError, match="tingkat 1 oleh Koordinator Pengawasan"):
            review.accept(s, cp, sc.portal, sc.people, KETUA)
    with factory.begin() as s:
        cp = s.get(m.Checkpoint, ids[0])
        assert cp is not None
        review.reject(s, cp, sc.portal, sc.people, KOORD, [DEFAULT_REASONS[1]],
                      "stempel belum ada", cfg)
        assert cp.status == "rejected"
        outbox = [i for row in s.scalars(select(m.Outbox).where(m.Outbox.person == pic))
                  for i in row.items if i["kind"] == "ditolak"]
        assert outbox[-1]["reason"] == f"{DEFAULT_REASONS[1]} — stempel belum ada"
        lifecycle.submit(s, cp, pic, links=["https://drive.test/notulen-ttd"],
                         note="Sudah ditandatangani dan distempel")
        st = review.state(s, cp, sc.portal, sc.people)
        assert (st.round, st.tier, st.recheck) == (2, 1, True)
        after = review.accept(s, cp, sc.portal, sc.people, KOORD)
        assert (cp.status, after.tier, after.recheck) == ("submitted", 2, False)
    done = runner.invoke(app, ["evidence", "accept", ref[0], "--by", "Admin Monev Contoh"])
    assert done.exit_code == 0 and "terverifikasi" in done.output, done.output
    one = runner.invoke(app, ["evidence", "accept", ref[1], "--by", "Admin Monev Contoh"])
    assert one.exit_code == 0, one.output
    assert "terkirim" in one.output and "tingkat 2 dari 2: Ketua Tim ZI Contoh" in one.output
    final = runner.invoke(app, ["evidence", "accept", ref[1], "--by", "Admin Monev Contoh",
                                "--final"])
    assert final.exit_code == 0 and "terverifikasi" in final.output, final.output
    again = runner.invoke(app, ["evidence", "accept", ref[1], "--by", "Admin Monev Contoh"])
    assert again.exit_code != 0 and "terverifikasi" in again.output
    with factory() as s:
        thread = review.thread(s, ids[0])
        assert [(r.number, [(e.kind, e.tier, e.actor) for e in r.entries]) for r in thread] == [
            (1, [("kirim", 0, pic), ("tolak", 1, KOORD)]),
            (2, [("kirim", 0, pic), ("terima", 1, KOORD), ("terima", 2, "Admin Monev Contoh")])]
        assert thread[0].entries[1].reasons == [DEFAULT_REASONS[1]]
        assert thread[1].entries[0].note == "Sudah ditandatangani dan distempel"
        assert s.get(m.Checkpoint, ids[0]).status == "verified"  # type: ignore[union-attr]
    # an admin's rejection of verified evidence: the next round starts at the first tier
    back = runner.invoke(app, ["evidence", "reject", ref[0], "--by", "Admin Monev Contoh",
                               "--reason", "salah unggah"])
    assert back.exit_code == 0 and "ditolak" in back.output, back.output
    assert runner.invoke(app, ["evidence", "submit", ref[0], "--by", pic, "--link",
                               "https://drive.test/benar"]).exit_code == 0
    with factory() as s:
        cp = s.get(m.Checkpoint, ids[0])
        assert cp is not None
        st = review.state(s, cp, sc.portal, sc.people)
        assert (st.round, st.tier, st.recheck) == (3, 1, True)
    factory.kw["bind"].dispose()
