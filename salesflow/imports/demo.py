"""Demo step: the shipped Maven CRM profiles saved for reuse, and a trade-show lead list that
the marketing specialist imported (GBK CSV, as Excel on Chinese Windows writes it): ten rows
in, one refused for a missing phone/e-mail, one for an ID-card number in the notes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from salesflow.org import demo

from .mapping import Profile
from .models import ImportProfile, ImportRun
from .services import profile_save, run_start, run_upload

FILE_NAME = "2026工博会展位登记.csv"
PROFILE_DIR = Path(__file__).resolve().parents[2] / "examples" / "import-profiles"
HEADER = ["序号", "公司名称", "联系人", "职务", "手机", "邮箱", "需求", "来源", "登记日期"]
COMPANIES = [
    (
        "常州德润精工机械有限公司",
        "周建国",
        "设备部经理",
        "焊接工位自动化改造，目前人工焊接良率约92%",
    ),
    ("嘉兴华美包装材料有限公司", "沈丽", "采购主管", "包装线MES，订单交期追溯困难"),
    ("无锡新航动力部件有限公司", "钱立", "生产总监", "设备联网与稼动率统计，停机原因无记录"),
    ("台州恒通阀门有限公司", "林志强", "总经理", "数控车床上下料机器人，两班倒缺工"),
    ("绍兴越秀纺织机械有限公司", "孙婷", "IT主管", "工业软件替换，现有ERP与车间数据不通"),
    ("合肥安泰汽车零部件有限公司", "吴磊", "技术部长", "视觉检测，外观缺陷漏检率高"),
    ("南通中远海工装备有限公司", "陆海", "设备主管", "大型结构件焊接机器人，焊缝长"),
    ("扬州金利电器有限公司", "蒋敏", "厂长", "装配线节拍提升，现节拍45秒"),
    ("湖州天成家具制造有限公司", "许文", "运营经理", "喷涂线运维服务外包，故障响应慢"),
    ("盐城东方精密铸造有限公司", "高峰", "副总经理", "铸件打磨机器人，粉尘大招工难"),
]


def _csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n, (company, person, title, needs) in enumerate(COMPANIES, start=1):
        writer.writerow(
            [n, company, person, title, f"1390000{n:04d}", "", needs, "展会", "2026-03-18"]
        )
    writer.writerow(
        [11, "镇江某科技有限公司", "王先生", "", "", "", "想了解一下", "展会", "2026-03-18"]
    )
    writer.writerow(
        [12, "泰州明达机电有限公司", "赵强", "采购", "13900000012", "", "证件号 110101199003074514",
         "展会", "2026-03-18"]
    )  # fmt: skip
    return buffer.getvalue().encode("gbk")


LEAD_PROFILE = {
    "name": "展会线索登记表",
    "entity": "lead",
    "description": "市场部展会登记表（GBK 编码 CSV）。",
    "columns": {
        "company_name": "公司名称",
        "contact_name": "联系人",
        "contact_title": "职务",
        "phone": "手机",
        "email": "邮箱",
        "needs": "需求",
        "source": "来源",
        "acquired_at": "登记日期",
    },
    "duplicates": "skip",
}


def seed_imports(ctx: demo.SeedContext) -> None:
    admin = ctx.users.get("admin")
    marketing = ctx.users.get("marketing.1")
    if admin is not None:
        for path in sorted(PROFILE_DIR.glob("maven-*.json")):
            profile = Profile.from_json(path.read_text(encoding="utf-8"))
            if not ImportProfile.objects.filter(name=profile.name).exists():
                profile_save(actor=admin, profile=profile, name=profile.name)
                ctx.count("import profiles")
    if marketing is None or ImportRun.objects.filter(file_name=FILE_NAME).exists():
        return
    if not ImportProfile.objects.filter(name=LEAD_PROFILE["name"]).exists():
        saved = profile_save(
            actor=marketing, profile=Profile.from_json(LEAD_PROFILE), name=LEAD_PROFILE["name"]
        )
    else:
        saved = ImportProfile.objects.get(name=LEAD_PROFILE["name"])
    run = run_upload(
        actor=marketing, entity_key="lead", file_name=FILE_NAME, data=_csv(), profile=saved
    )
    run = run_start(actor=marketing, run=run, mode="partial", dry_run=False, background=False)
    ctx.count("leads", run.created_count)  # the leads step's tests count every lead


demo.register_step("imports", seed_imports, order=900)
