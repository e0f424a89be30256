"""The SYNTHETIC county as an office holds it: one registry export per year, the place roster, the bank's
loan ledger.

:func:`write_raw` writes what a county poverty-alleviation office would export and collect, with the
invented names, ID numbers and phones of :func:`evalkit.synth.export.fake_identifiers` (the same person
keeps them every year), in the forms ``evalkit clean`` reads and with the faults offices produce that lose
no information: a title row and a totals row, a GBK-encoded CSV, rows in another order, incomes in 万元,
a header under another known name, exact duplicate rows. Every number of the committed package can be
recovered from these files (incomes are household totals to the fen; per-capita values to the fen
divided back).

Nothing here is real; the files hold identifiers that look exactly like real ones, so write them outside
the repository (``evalkit synth --out DIR`` puts them in ``DIR/raw/``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import paths
from evalkit.io.columns import HOUSEHOLD_FLAGS, PER_CAPITA
from evalkit.synth.export import _LABELS, fake_identifiers, member_columns

__all__ = ["write_raw", "REGISTRY_YEARS", "REGISTRY_HEADER"]

#: The years of the registry exports (the panel's years).
REGISTRY_YEARS = (2014, 2015, 2016, 2017, 2018, 2019)

#: Canonical column → the export's Chinese header, in the export's order.
REGISTRY_HEADER: dict[str, str] = {
    "year": "年度",
    "township": "乡镇",
    "village_code": "行政村代码",
    "village": "行政村",
    "household_id": "户编号",
    "person_id": "人编号",
    "name": "姓名",
    "id_number": "证件号码",
    "sex": "性别",
    "birth_date": "出生日期",
    "relation": "与户主关系",
    "household_size": "家庭人口数",
    "education": "文化程度",
    "schooling": "在校生状况",
    "health": "健康状况",
    "disabled": "是否残疾",
    "labour_ability": "劳动技能",
    "main_cause": "致贫原因",
    "identification_year": "识别年度",
    "exit_year": "脱贫年度",
    "status": "户状态",
    "income_pc": "人均纯收入",
    "net_income": "家庭纯收入",
    "wage_income": "工资性收入",
    "operating_income": "生产经营性收入",
    "property_income": "财产性收入",
    "transfer_income": "转移性收入",
    "pension_income": "养老金",
    "dibao_income": "低保金",
    "eco_comp_income": "生态补偿金",
    "other_policy_income": "其他转移性收入",
    "food_clothing_secure": "不愁吃不愁穿",
    "safe_housing": "住房安全有保障",
    "safe_water": "饮水安全",
    "compulsory_education_ok": "义务教育有保障",
    "basic_medical_insurance": "基本医疗有保障",
    "major_event": "家庭发生重大变故",
    "microcredit_active": "享受扶贫小额信贷",
    "ranger_active": "有生态护林员",
    "relocated": "易地扶贫搬迁",
    "phone": "联系电话",
}

_MONEY = PER_CAPITA
_FLAGS = HOUSEHOLD_FLAGS
_STATUS = {"registered": "未脱贫", "exited_this_year": "当年脱贫", "exited": "已脱贫", "returned": "返贫"}
_HEALTH = {**_LABELS["health"], "not_recorded": "因病建档未记录病种"}


def _yes_no(values: pd.Series) -> np.ndarray:
    return np.where(values.to_numpy(dtype=bool), "是", "否")


def registry_rows(county: dict[str, pd.DataFrame], identifiers: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per member of every registered household with the household's situation in ``year``
    (canonical column names; household totals of income to the fen)."""
    members = county["members"].merge(county["households"], on="household_id", how="left", validate="many_to_one")
    villages = county["villages"].set_index("village_id")
    towns = county["townships"].set_index("township_id")["name_zh"]
    panel = county["panel"].loc[county["panel"]["year"] == year].set_index("household_id")
    pc = panel.reindex(members["household_id"])
    size = members["household_size"].to_numpy(dtype=float)
    out = member_columns(members, villages, towns, identifiers, health=_HEALTH).assign(
        year=year,
        village_code=members["village_id"].to_numpy(),
        birth_date=[d.isoformat() for d in identifiers["birth_date"]],
        exit_year=members["exit_year"].astype("Int64").astype(object).where(members["exit_year"].notna(), ""),
        status=pc["status"].map(_STATUS).to_numpy(),
        income_pc=pc["income_pc"].to_numpy(),
    )
    for column, source in _MONEY.items():
        out[column] = np.round(pc[source].to_numpy() * size, 2)
    components = ["wage_income", "operating_income", "property_income", "transfer_income"]
    out["net_income"] = np.round(out[components].sum(axis=1), 2)
    for column in _FLAGS:
        out[column] = _yes_no(pc[column])
    out["phone"] = identifiers["phone"].to_numpy()
    return out[list(REGISTRY_HEADER)]


def _chinese(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.rename(columns=REGISTRY_HEADER)


def _xlsx(frame: pd.DataFrame, path: Path, *, title: str | None = None, total: str | None = None) -> None:
    """An .xlsx sheet as offices save it: optional title row above the header, optional totals row below."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)  # streamed: rows are appended and written once
    sheet = book.create_sheet("明细")
    if title:
        sheet.append([title])
    sheet.append(list(frame.columns))
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        sheet.append(list(row))
    if total:
        sums = ["合计", *[""] * (frame.shape[1] - 1)]
        column = list(frame.columns).index(total)
        sums[column] = float(frame[total].sum())
        sheet.append(sums)
    book.save(path)


def write_raw(
    county: dict[str, pd.DataFrame], out_dir: str | os.PathLike[str], *, seed: int = 20190901, plain: bool = False
) -> list[Path]:
    """Write the county's raw files into ``out_dir`` (the place roster, one registry export per year, the
    bank's loan ledger) and return their paths.

    The forms differ by year as offices' files do: 2014 a workbook with a title and a totals row; 2015 a
    GBK-encoded CSV; 2016 a CSV with its rows in another order; 2017 a workbook with incomes in 万元; 2018 a
    CSV whose relation column is headed 户主关系 and with three rows exported twice; 2019 a plain workbook.
    With ``plain``, every year is a plain UTF-8 CSV (the same rows, none of those disturbances).
    """
    folder = Path(out_dir)
    (folder / "registry").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 6])
    members = county["members"].merge(county["households"], on="household_id", how="left")
    identifiers = fake_identifiers(rng, members)
    written = [_places(county, folder / "places.csv")]
    for year in REGISTRY_YEARS:
        rows = registry_rows(county, identifiers, year)
        if plain:
            path = folder / "registry" / f"registry_{year}.csv"
            _chinese(rows).to_csv(path, index=False, encoding="utf-8")
            if year == 2016:  # the random draws of the disturbed forms are made all the same, so that
                rng.permutation(len(rows))  # the other files are those of the disturbed raw folder
            elif year == 2018:
                rng.choice(len(rows), 3, replace=False)
        elif year == 2014:
            path = folder / "registry" / f"registry_{year}.xlsx"
            _xlsx(
                _chinese(rows),
                path,
                title=f"黎城县建档立卡贫困人口明细（合成数据 SYNTHETIC，{year}年）",
                total="家庭人口数",
            )
        elif year == 2015:
            path = folder / "registry" / f"registry_{year}.csv"
            _chinese(rows).to_csv(path, index=False, encoding="gbk")
        elif year == 2016:
            path = folder / "registry" / f"registry_{year}.csv"
            order = rng.permutation(len(rows))
            _chinese(rows.iloc[order]).to_csv(path, index=False, encoding="utf-8")
        elif year == 2017:
            path = folder / "registry" / f"registry_{year}.xlsx"
            wan = rows.copy()
            money = ["net_income", *_MONEY]
            wan[money] = np.round(wan[money] / 10_000, 6)
            header = {**REGISTRY_HEADER, **{c: f"{REGISTRY_HEADER[c]}(万元)" for c in money}}
            _xlsx(wan.rename(columns=header), path)
        elif year == 2018:
            path = folder / "registry" / f"registry_{year}.csv"
            twice = rows.iloc[rng.choice(len(rows), 3, replace=False)]
            doubled = pd.concat([rows, twice]).sort_index(kind="stable")
            _chinese(doubled).rename(columns={"与户主关系": "户主关系"}).to_csv(path, index=False, encoding="utf-8")
        else:
            path = folder / "registry" / f"registry_{year}.xlsx"
            _xlsx(_chinese(rows), path)
        written.append(path)
    written.append(_loans(county, identifiers, members, folder / "bank_loans.csv"))
    written.append(_programs(county, identifiers, members, rng, folder / "program_rosters.csv"))
    written.append(_labour(county, identifiers, members, folder / "training_followup.csv"))
    written.append(_survey(county, folder / "assessment_survey.csv"))
    written += _published(folder / "published")
    return written


def _places(county: dict[str, pd.DataFrame], path: Path) -> Path:
    villages = county["villages"]
    towns = county["townships"].set_index("township_id")
    frame = pd.DataFrame(
        {
            "乡镇代码": villages["township_id"],
            "乡镇": villages["township_id"].map(towns["name_zh"]),
            "乡镇类型": villages["township_id"]
            .map(towns["unit_type"])
            .map({"town": "镇", "township": "乡", "center": "中心"}),
            "行政村代码": villages["village_id"],
            "行政村": villages["name_zh"],
            "农业人口": villages["agri_pop"],
            "总人口": villages["total_pop"],
            "是否贫困村": _yes_no(villages["poor_village"]),
            "贫困村退出年度": villages["poor_village_exit_year"].astype("Int64"),
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def _loans(county: dict[str, pd.DataFrame], identifiers: pd.DataFrame, members: pd.DataFrame, path: Path) -> Path:
    """The bank's ledger: one row per loan with the borrower's (the household head's) name and ID number."""
    heads = identifiers.loc[members["relation"].eq("head").to_numpy()].assign(
        household_id=members.loc[members["relation"].eq("head"), "household_id"].to_numpy()
    )
    loans = county["loans"].merge(heads[["household_id", "name", "id_number"]], on="household_id", how="left")
    frame = pd.DataFrame(
        {
            "借款合同编号": loans["loan_id"],
            "借款人": loans["name"],
            "身份证号": loans["id_number"],
            "放款年度": loans["loan_year"],
            "贷款模式": loans["model_zh"],
            "贷款金额(元)": loans["amount_yuan"],
            "期限(月)": loans["term_months"],
            "到期年度": loans["due_year"],
            "2019年末还款状态": loans["status_2019"].map(
                {"repaid": "已还清", "current": "正常", "overdue": "逾期", "default": "违约"}
            ),
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def _ids_of(identifiers: pd.DataFrame, members: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each person's invented ID number, and each household's head's, by package id."""
    person = pd.Series(identifiers["id_number"].to_numpy(), index=members["person_id"].to_numpy())
    heads = members["relation"].eq("head").to_numpy()
    head = pd.Series(
        identifiers.loc[heads, "id_number"].to_numpy(), index=members.loc[heads, "household_id"].to_numpy()
    )
    return person, head


def _programs(
    county: dict[str, pd.DataFrame],
    identifiers: pd.DataFrame,
    members: pd.DataFrame,
    rng: np.random.Generator,
    path: Path,
) -> Path:
    """The program offices' rosters, one row per participant: the person's ID number for programs that
    name a member (rangers, jobs, aid), the head's for household programs; households outside the registry
    (non-poor relocated or renovated households) carry an ID number the registry does not hold."""
    programs = county["programs"]
    person, head = _ids_of(identifiers, members)
    ids = programs["person_id"].map(person).fillna(programs["household_id"].map(head))
    outside = ids.isna()
    if outside.any():
        strangers = fake_identifiers(
            rng, pd.DataFrame({"birth_year": rng.integers(1940, 1990, int(outside.sum())), "sex": "male"})
        )
        ids.loc[outside] = strangers["id_number"].to_numpy()
    frame = pd.DataFrame(
        {
            "项目": programs["program"],
            "对象": np.where(programs["person_id"].notna(), "人", "户"),
            "身份证号": ids,
            "行政村代码": programs["village_id"],
            "建档立卡户": _yes_no(programs["registered"]),
            "涉及人数": programs["persons"],
            "年度": programs["start_year"],
            "金额(元)": programs["amount_yuan"],
            "金额说明": programs["amount_basis"],
            "明细": programs["detail"],
            "明细(中文)": programs["detail_zh"],
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def _labour(county: dict[str, pd.DataFrame], identifiers: pd.DataFrame, members: pd.DataFrame, path: Path) -> Path:
    """The labour follow-up kept by the human-resources office: every member of working age, whether and
    what they trained in, and employment and wages at the baseline and the follow-up."""
    labour = county["labour"]
    person, _ = _ids_of(identifiers, members)
    frame = pd.DataFrame(
        {
            "身份证号": labour["person_id"].map(person),
            "参加培训": _yes_no(labour["trained"]),
            "培训项目": labour["course"],
            "培训项目(中文)": labour["course_zh"],
            "培训年度": labour["training_year"],
            "完成培训": _yes_no(labour["completed"]),
            "2016年就业": _yes_no(labour["employed_2016"]),
            "2016年工资性收入": labour["wage_2016"],
            "2019年就业": _yes_no(labour["employed_2019"]),
            "2019年工资性收入": labour["wage_2019"],
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def _survey(county: dict[str, pd.DataFrame], path: Path) -> Path:
    """The assessment team's entered survey: its design columns, and the registry's household number for
    the registered households it visited."""
    survey = county["survey"]
    number = "14042600" + survey["registry_household_id"].str[1:]
    survey.assign(registry_household_id=number).rename(columns={"registry_household_id": "户编号"}).to_csv(
        path, index=False, encoding="utf-8"
    )
    return path


def _published(folder: Path) -> list[Path]:
    """The county report's published figures (public), with their companions (areas, lists, identities)."""
    shutil.copytree(paths.published_dir(), folder, dirs_exist_ok=True)
    return sorted(p for p in folder.rglob("*") if p.is_file())
