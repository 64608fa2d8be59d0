"""CSV files are read as written: the text of the columns an audit groups by, on every path."""

from __future__ import annotations

import warnings

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import audit
from audit import ColumnNotFoundError, DataError
from audit.cli import cli

YES_NO = "sex,citizen,member,flag,y,age,score\n" + "".join(
    f"{s},{c},{m},{f},{y},{a},{sc}\n"
    for s, c, m, f, y, a, sc in [
        ("F", "Yes", "yes", "T", "No", 30, 0.5),
        ("M", "No", "no", "F", "Yes", 41, 1.5),
        ("F", "Yes", "no", "T", "Yes", 52, 2.25),
        ("M", "Yes", "yes", "F", "No", 63, 3.0),
    ]
    * 10
)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", audit.AuditWarning)
        return fn(*args, **kwargs)


def _groups(result, name):
    return {g.name: g.n for g in result.dimension(name).groups}


@pytest.fixture
def yes_no(tmp_path):
    path = tmp_path / "yes_no.csv"
    path.write_text(YES_NO)
    return path


def test_yes_no_and_t_f_stay_text(yes_no):
    result = _quiet(
        audit.audit,
        str(yes_no),
        sensitive_features=["citizen", "member", "flag"],
        label="y",
        favorable="Yes",
        reference={"citizen": "Yes"},
    )
    assert _groups(result, "citizen") == {"No": 10, "Yes": 30}
    assert _groups(result, "member") == {"no": 20, "yes": 20}
    assert _groups(result, "flag") == {"F": 20, "T": 20}
    assert result.favorable_values == ("Yes",)
    assert result.dimension("citizen").reference == ("Yes",)


def test_a_path_and_the_text_of_the_file_give_the_same_audit(yes_no):
    spec = {"sensitive_features": ["sex", "citizen", "flag"], "label": "y", "favorable": "Yes"}
    from_path = _quiet(audit.audit, str(yes_no), **spec)
    frame = pd.read_csv(yes_no, dtype=str, keep_default_na=False)
    from_frame = _quiet(audit.audit, frame, **spec)
    for a, b in zip(from_path.dimensions, from_frame.dimensions, strict=True):
        assert [(g.name, g.n, g.base_rate.value) for g in a.groups] == [
            (g.name, g.n, g.base_rate.value) for g in b.groups
        ]


def test_cli_favorable_and_reference_by_the_files_text(yes_no):
    out = CliRunner().invoke(
        cli,
        ["audit", str(yes_no), "-s", "citizen", "-l", "y", "-f", "Yes", "-r", "citizen=Yes"],
    )
    assert out.exit_code == 0, out.output
    assert "True" not in out.output


def test_mitigation_output_keeps_every_column_as_written(yes_no, tmp_path):
    out = tmp_path / "out.parquet"
    _quiet(
        audit.mitigate,
        str(yes_no),
        sensitive_features=["citizen"],
        label="y",
        favorable="Yes",
        output=out,
    )
    table = pq.read_table(out)
    written = pd.read_csv(yes_no, dtype=str, keep_default_na=False)
    for column in ("sex", "citizen", "member", "flag", "y"):
        assert str(table.schema.field(column).type) == "string"
        assert table.column(column).to_pylist() == written[column].tolist()
    # numbers stay numbers
    assert table.column("age").to_pylist() == [int(v) for v in written["age"]]
    assert table.column("score").to_pylist() == [float(v) for v in written["score"]]


def test_a_value_late_in_the_file_does_not_break_type_detection(tmp_path):
    path = tmp_path / "late.csv"
    rows = [f"{i % 2},{'F' if i % 3 else 'M'},{i % 7}" for i in range(30_000)]
    path.write_text("y,sex,code\n" + "\n".join(rows) + "\n1,F,X\n")
    result = _quiet(audit.audit, str(path), sensitive_features=["sex", "code"], label="y")
    assert result.n_rows == 30_001
    codes = _groups(result, "code")
    assert codes["X"] == 1
    assert sum(codes.values()) == 30_001
    # a binned numeric column with a late text value: a typed error, not a crash
    path.write_text("y,age\n" + "\n".join(f"{i % 2},{i % 90}" for i in range(30_000)) + "\n1,X\n")
    with pytest.raises(DataError):
        _quiet(audit.audit, str(path), sensitive_features="age", label="y", bins={"age": [30]})


def test_empty_fields_are_missing_on_every_engine_and_markers_only_when_declared(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("sex,y\nF,1\n,0\nNA,1\n?,0\nM,1\nM,0\n" + "F,0\nM,1\n" * 20)
    kw = {"sensitive_features": "sex", "label": "y", "min_group_size": 1}
    frames = {
        "path": str(path),
        "text frame": pd.read_csv(path, dtype=str, keep_default_na=False),
        "pandas default": pd.read_csv(path, keep_default_na=False),
    }
    for name, data in frames.items():
        plain = _quiet(audit.audit, data, **kw)
        assert _groups(plain, "sex") == {"?": 1, "F": 21, "M": 22, "NA": 1, "(missing)": 1}, name
        declared = _quiet(audit.audit, data, na_values=["?", "NA"], **kw)
        assert _groups(declared, "sex") == {"F": 21, "M": 22, "(missing)": 3}, name


def test_na_values_from_the_cli_and_the_config(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("sex,y\n" + "F,1\nM,0\n?,1\n" * 20)
    out = CliRunner().invoke(
        cli, ["audit", str(path), "-s", "sex", "-l", "y", "--na-values", "?", "--json", "-"]
    )
    assert out.exit_code == 0, out.output
    result = audit.AuditResult.from_json(out.output)
    assert _groups(result, "sex") == {"F": 20, "M": 20, "(missing)": 20}
    assert result.spec.na_values == ("?",)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.biasaudit.thresholds]\ndisparate_impact_ratio.min = 0.1\n"
        '[[tool.biasaudit.datasets]]\nname = "d"\npath = "na.csv"\nsensitive = "sex"\n'
        'label = "y"\nna_values = ["?"]\n'
    )
    from audit.gate.config import load_config

    assert load_config(tmp_path / "pyproject.toml").datasets[0].spec.na_values == ("?",)


def test_the_label_honours_missing_markers(tmp_path):
    path = tmp_path / "label.csv"
    path.write_text("sex,y\n" + "F,1\nM,0\nF,?\nM,\n" * 10)
    result = _quiet(audit.audit, str(path), sensitive_features="sex", label="y", na_values="?")
    assert result.n_label_missing == 20
    assert result.label_values == ("0", "1")


def test_a_repeated_header_name_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("sex,sex,y\nF,M,1\nM,F,0\n")
    with pytest.raises(DataError, match="names the column 'sex' more than once"):
        audit.audit(str(path), sensitive_features="sex", label="y")
    path.write_text("sex,SEX,y\nF,M,1\nM,F,0\n")
    with pytest.raises(DataError, match="more than once"):
        audit.audit(str(path), sensitive_features="sex", label="y")


@pytest.mark.parametrize(
    "body",
    [
        "sex,y\nF,1\nM,0,3\nF\n",  # every row irregular
        "sex,y\n" + "F,1\n" * 5000 + "M,0,3\n",  # one long row late in the file
        "sex,y\n" + "F,1\n" * 100 + "M\n",  # one short row
    ],
)
def test_a_ragged_file_is_refused_with_what_is_wrong(tmp_path, body):
    path = tmp_path / "ragged.csv"
    path.write_text(body)
    with pytest.raises(DataError, match="same number of fields") as info:
        audit.audit(str(path), sensitive_features="sex", label="y")
    assert not isinstance(info.value, ColumnNotFoundError)
    out = CliRunner().invoke(cli, ["audit", str(path), "-s", "sex", "-l", "y"])
    assert out.exit_code == 2
    assert "same number of fields" in " ".join(out.output.split())


def test_globs_of_csv_files_share_one_header(tmp_path):
    (tmp_path / "a.csv").write_text("sex,y\n" + "F,1\nM,0\n" * 20)
    (tmp_path / "b.csv").write_text("sex,y\n" + "F,0\nM,Yes\n" * 20)
    result = _quiet(
        audit.audit, str(tmp_path / "*.csv"), sensitive_features="sex", label="y", favorable="1"
    )
    assert result.n_rows == 80
    assert result.label_values == ("0", "1", "Yes")
    (tmp_path / "c.csv").write_text("y,sex\n1,F\n")
    with pytest.raises(DataError, match="do not share one header"):
        audit.audit(str(tmp_path / "*.csv"), sensitive_features="sex", label="y")


def test_a_file_without_a_header_says_so(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("".join(f"{i},{i * 2}\n" for i in range(50)))
    with pytest.raises(ColumnNotFoundError, match="no header row"):
        audit.audit(str(path), sensitive_features="sex", label="y")


def test_each_file_of_a_glob_is_read_with_its_own_dialect(tmp_path):
    (tmp_path / "data").mkdir()
    with open(tmp_path / "data" / "a.csv", "w", newline="") as f:
        f.write("sex,hired\n" + "M,1\nM,0\nF,1\nF,0\n" * 100)
    with open(tmp_path / "data" / "b.csv", "w", newline="") as f:
        f.write("sex,hired\r\n" + "M,1\r\n" * 190 + "F,0\r\n" * 190 + "F,1\r\n" * 10)
    with open(tmp_path / "data" / "c.csv", "w", newline="") as f:
        f.write('"sex";"hired"\n' + '"M";"1"\n"F";"0"\n' * 5)
    result = _quiet(
        audit.audit, str(tmp_path / "data" / "*.csv"), sensitive_features="sex", label="hired"
    )
    expected = pd.concat(
        [
            pd.read_csv(tmp_path / "data" / n, dtype=str, keep_default_na=False, sep=sep)
            for n, sep in (("a.csv", ","), ("b.csv", ","), ("c.csv", ";"))
        ]
    )
    assert result.n_rows == len(expected) == 800
    assert _groups(result, "sex") == expected["sex"].value_counts().to_dict()
    female = result.dimension("sex").group("F").base_rate.value
    assert female == (expected[expected.sex == "F"].hired == "1").mean()


def test_no_line_is_a_comment_and_the_quote_is_always_a_double_quote(tmp_path):
    path = tmp_path / "hash.csv"
    path.write_text("grp,y\n" + "A,1\nB,1\n#C,0\n" * 40)
    result = _quiet(audit.audit, str(path), sensitive_features="grp", label="y")
    assert _groups(result, "grp") == {"#C": 40, "A": 40, "B": 40}
    path.write_text(path.read_text() + "# exported by a tool\n")  # a footer: refused, not read
    with pytest.raises(DataError, match="same number of fields"):
        audit.audit(str(path), sensitive_features="grp", label="y")
    quoted = tmp_path / "quotes.csv"
    quoted.write_text("grp,y\n" + "'A',1\n\"B\",0\n'A',0\n\"B\",1\n" * 10)
    result = _quiet(audit.audit, str(quoted), sensitive_features="grp", label="y")
    assert _groups(result, "grp") == {"'A'": 20, "B": 20}


def test_a_glob_of_parquet_files_with_different_types_is_refused(tmp_path):
    import pyarrow as pa

    pq.write_table(pa.table({"band": [1, 2] * 20, "y": [1, 0] * 20}), tmp_path / "p0.parquet")
    pq.write_table(pa.table({"band": [1.5, 2.0] * 20, "y": [1, 0] * 20}), tmp_path / "p1.parquet")
    with pytest.raises(DataError, match="do not share one schema"):
        audit.audit(str(tmp_path / "p*.parquet"), sensitive_features="band", label="y")
    pq.write_table(pa.table({"band": [3, 4] * 20, "y": [1, 0] * 20}), tmp_path / "p1.parquet")
    result = _quiet(audit.audit, str(tmp_path / "p*.parquet"), sensitive_features="band",
                    label="y")  # fmt: skip
    assert result.n_rows == 80


def test_big_integers_in_other_columns_stay_exact_in_mitigation_outputs(tmp_path):
    path = tmp_path / "ids.csv"
    ids = ["12345678901234567891", "12345678901234567892", "9007199254740993", "1"] * 10
    path.write_text("id,sex,y\n" + "".join(f"{i},{s},{y}\n" for i, s, y in
                    zip(ids, ["F", "M"] * 20, [1, 0, 0, 1] * 10, strict=True)))  # fmt: skip
    out = tmp_path / "out.parquet"
    _quiet(audit.mitigate, str(path), sensitive_features="sex", label="y", output=out)
    assert [str(v) for v in pq.read_table(out).column("id").to_pylist()] == ids


def test_a_headerless_text_file_does_not_print_its_first_row(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Jane Doe,Female,HIV-positive\nJohn Roe,Male,none\n" * 20)
    with pytest.raises(ColumnNotFoundError) as info:
        audit.audit(str(path), sensitive_features="sex", label="y")
    assert "Jane" not in str(info.value)
    assert "HIV" not in str(info.value)
    assert "3 fields" in str(info.value)


def test_declared_markers_in_a_binned_text_column(tmp_path):
    path = tmp_path / "age.csv"
    path.write_text("age,y\n" + "30,1\n50,0\n?,1\n" * 20)
    result = _quiet(audit.audit, str(path), sensitive_features="age", label="y",
                    bins={"age": [40]}, na_values=["?"])  # fmt: skip
    assert _groups(result, "age") == {"<40": 20, ">=40": 20, "(missing)": 20}


SECRET = "SECRET_CAROL"


def test_csv_with_a_late_type_change_exits_2_without_leaking(tmp_path):
    path = tmp_path / "late.csv"
    rows = ["sex,age,y"] + ["F,30,1", "M,40,0"] * 15000 + [f"{SECRET},notanumber,1"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["audit", str(path), "-s", "sex", "-s", "age", "--bins", "age=30", "-l", "y"]
    )
    assert result.exit_code == 2
    assert SECRET not in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
