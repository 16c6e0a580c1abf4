"""Demo knowledge base of 华信智能装备有限公司: a handbook page for every stage of the default B2B
template (one page with a second version, to show history and diff), a dozen sales scripts and
two best-practice cases linked to demo won opportunities — one of 华东 rep.east's own deals and
one of another region, so that rep.east sees the first deal's figures and only the second's
text. Written through the services (versions and audit as for a user); idempotent: pages are
looked up by stage, scripts and cases by title."""

from __future__ import annotations

from salesflow.org import demo
from salesflow.pipeline.models import Opportunity, OpportunityStatus, ProcessTemplate

from . import services
from .models import BestCase, HandbookPage, SalesScript

TEMPLATE_NAME = "标准B2B销售流程"

PAGES = {
    "线索获取": (
        "展会、官网、渠道、转介绍拿到的线索，24 小时内在系统中登记：公司名称、联系人、电话或邮箱、"
        "具体需求（写清痛点，不要只写“有需求”）、来源和获取时间。",
        "展会当天拍下名片，晚上统一录入；转介绍线索务必选择推荐客户，便于致谢和统计。",
        "只记名片不记需求；获取时间填成录入时间；录入身份证号、银行卡号等敏感信息。",
    ),
    "线索筛选": (
        "录入后 48 小时内按评分表打分（行业匹配、规模、需求意向、预算、时间），得出 A/B/C 类和意向等级。",
        "拿不准的项先电话核实一句再打分；A 类线索当天就安排首次联系。",
        "凭感觉全打高分；不填意向等级，导致跟进频率无法计算。",
    ),
    "初步接洽": (
        "电话或邮件联系客户，介绍能为对方解决什么问题，确认需求是否真实、谁在推动。A 类客户 24 小时内完成。",
        "先问后说：用两三个开放式问题了解现状，再讲与之相关的一个案例。",
        "一上来就报价或发整本产品手册；沟通后不写初次沟通记录。",
    ),
    "需求分析": (
        "首次拜访后 3 个工作日内完成深度访谈，写需求分析报告：核心痛点、现有方案、预算、时间表和决策链。",
        "用“如果不解决会怎样”追问痛点的代价；画出决策链，区分决策者、影响者、使用者和采购。",
        "只见了使用部门就以为找到了决策人；需求写成“客户想要自动化”之类的空话。",
    ),
    "方案呈现": (
        "需求确认后 5 个工作日内交付定制方案书和演示，产品专家参与；方案逐条回应需求分析中的痛点。",
        "演示用客户自己的样件或数据；结尾约定下一步（试用、技术交流或报价）。",
        "套用通用 PPT；演示后不跟进，客户的疑问没有书面答复。",
    ),
    "商务谈判": (
        "意向确认后 7 个工作日内完成价格和合同条款谈判，折扣超出权限的走审批，形成谈判纪要。",
        "用三年总成本和投资回报说话；每次让步都换取对方的承诺（付款方式、签约时间）。",
        "一次让到底；口头答应审批外的折扣；谈判结论不写纪要。",
    ),
}
PAGE_REVISION = (
    "需求分析",
    "首次拜访后 3 个工作日内完成深度访谈，写需求分析报告：核心痛点、现有方案、预算（是否已审批）、"
    "时间表和决策链。",
    "补充：预算要写明是否已审批",
)

SCRIPTS = [
    (
        "初步接洽",
        "电话开场白",
        "王经理您好，我是华信智能的小李。我们刚帮苏州一家汽配厂把焊接返修率降了"
        "一半，听说贵司也在扩产，想请教两分钟现在焊接这块最头疼的是什么？",
        "开场 电话",
    ),
    (
        "初步接洽",
        "客户说“先发资料看看”",
        "好的，马上发。为了只发对您有用的，想确认一下：您现在"
        "最关心的是产能、良率还是人工成本？我按这个挑两页重点，明天上午再跟您电话过一下。",
        "异议 资料",
    ),
    (
        "初步接洽",
        "客户说“暂时没有需求”",
        "理解。很多客户也是在做明年预算时才开始看。方便告诉我"
        "贵司一般几月份做设备预算吗？我到时候带一份同行的改造数据过来。",
        "异议 培育",
    ),
    (
        "需求分析",
        "追问痛点的代价",
        "如果这个问题今年不解决，对交期和成本大概会有多大影响？有没有因为这个丢过订单？",
        "痛点 追问",
    ),
    (
        "需求分析",
        "摸清决策链",
        "这样的项目在贵司一般是怎么决定的？除了您，还有哪些部门会参与评估？最后由谁拍板？",
        "决策链",
    ),
    (
        "需求分析",
        "确认预算",
        "为了给您一个合适的方案，想了解一下这个项目的预算大概在什么"
        "范围？是已经批下来了，还是要等方案出来再申请？",
        "预算",
    ),
    (
        "方案呈现",
        "演示后约定下一步",
        "今天看下来，哪一部分和您的需求最贴近？如果方便，我们下周"
        "用贵司的样件做一次试焊，您看周二还是周四合适？",
        "演示 跟进",
    ),
    (
        "方案呈现",
        "客户拿竞品比较",
        "您做比较很对。建议从三点看：节拍、良率和售后响应时间。"
        "我把我们在同类产线上的实测数据发给您，您也可以向对方要同样的数据。",
        "竞品 异议",
    ),
    (
        "商务谈判",
        "客户说价格太高",
        "理解您对价格的顾虑。我们一起算一笔三年总成本的账：设备、"
        "耗材、人工和返修。很多客户算完发现，一年多就能收回差价。",
        "价格 异议",
    ),
    (
        "商务谈判",
        "客户要求再降价",
        "价格我可以再去申请，但需要您这边也帮我一下：如果能在月底"
        "前签约、预付三成，我就有理由向公司争取。",
        "价格 让步",
    ),
    (
        "商务谈判",
        "客户拖延签约",
        "王总，设备排产是按签约顺序来的，现在排到 8 周后。如果本月"
        "签，能赶上您三季度的扩产计划；再往后就要顺延了。",
        "签约 促成",
    ),
    (
        "",
        "成交后请求转介绍",
        "感谢您的信任。您身边如果有同样在做产线升级的朋友，方便的话帮"
        "我们引荐一下，我们一定同样用心服务。",
        "转介绍 通用",
    ),
]

CASES = [
    {
        "title": "华东汽配客户：样件试焊打消技术疑虑，六周拿下焊接产线",
        "summary": "客户担心机器人焊接质量不稳定，迟迟不立项。我们用客户自己的样件做试焊，"
        "并请老客户现身说法，六周完成签约。",
        "situation": "客户扩产需要新增两条焊接线，技术部倾向人工焊，采购在比较三家报价。",
        "approach": "1. 需求分析阶段画出决策链，发现技术总监是关键影响者；\n"
        "2. 方案呈现阶段用客户样件试焊，现场出检测报告；\n"
        "3. 商务谈判阶段以三年总成本说服采购，用预付换取小幅折扣。",
        "result": "签约金额高于最初预算，客户同意作为参观样板线。",
        "lessons": "技术疑虑要用客户自己的数据打消；谈判让步必须换取承诺。",
        "tags": "试焊 决策链 总成本",
        "owner_slot": "rep.east.1",
    },
    {
        "title": "华南家电客户：从陌拜线索到年度框架协议",
        "summary": "一条陌拜得来的 C 类线索，通过持续培育和一次成功的小单试用，升级为年度框架协议。",
        "situation": "客户当时没有预算，只有设备部门对视觉检测感兴趣。",
        "approach": "按月发送行业案例保持联系；预算季节前做一次免费检测评估；先签一个小单验证效果。",
        "result": "小单上线三个月后签下年度框架协议。",
        "lessons": "低意向线索不放弃，按频率培育；用小单降低客户的决策风险。",
        "tags": "培育 试用 框架协议",
        "owner_slot": None,  # a 华南 deal (else any outside 华东): rep.east sees the text only
    },
]


def seed_knowledge(ctx: demo.SeedContext) -> None:
    template = ProcessTemplate.objects.filter(name=TEMPLATE_NAME).first()
    author = ctx.users.get("director")
    if template is None or author is None:
        ctx.log("手册与知识库：缺少默认流程或销售总监，跳过。")
        return
    stage_names = set(
        template.versions.filter(is_current=True).values_list("stages__name", flat=True)
    )
    for stage, (what, tips, mistakes) in PAGES.items():
        if (
            stage not in stage_names
            or HandbookPage.objects.filter(template=template, stage_name=stage).exists()
        ):
            continue
        data = {"what_to_do": what, "tips": tips, "mistakes": mistakes}
        services.page_save(
            actor=author, template_id=template.pk, stage_name=stage, data=data, note="首次编写"
        )
        ctx.count("handbook_pages")
        if stage == PAGE_REVISION[0]:
            manager = ctx.users.get("manager.east", author)
            services.page_save(
                actor=manager,
                template_id=template.pk,
                stage_name=stage,
                data={**data, "what_to_do": PAGE_REVISION[1]},
                note=PAGE_REVISION[2],
            )
    for stage, title, text, tags in SCRIPTS:
        if SalesScript.objects.filter(title=title).exists():
            continue
        services.script_save(
            actor=author,
            data={
                "title": title,
                "script": text,
                "tags": tags,
                "stage_name": stage if stage in stage_names else "",
                "template_id": template.pk if stage else None,
            },
            note="首次编写",
        )
        ctx.count("scripts")
    _seed_cases(ctx, author)
    ctx.log(
        f"手册与知识库：阶段手册 {ctx.created['handbook_pages']} 篇，"
        f"话术 {ctx.created['scripts']} 条，标杆案例 {ctx.created['cases']} 个"
    )


def _seed_cases(ctx, author) -> None:
    won = Opportunity.objects.filter(status=OpportunityStatus.WON).select_related("owner")
    rep = ctx.users.get("rep.east.1")
    east_ids = {
        u.pk for key, u in ctx.users.items() if key.startswith(("rep.east", "manager.east"))
    }
    for spec in CASES:
        if BestCase.objects.filter(title=spec["title"]).exists():
            continue
        if spec["owner_slot"]:
            candidates = won.filter(owner=ctx.users.get(spec["owner_slot"], rep))
        else:
            south_ids = [u.pk for key, u in ctx.users.items() if key.startswith("rep.south")]
            candidates = won.filter(owner_id__in=south_ids)
            if not candidates.exists():
                candidates = won.exclude(owner_id__in=east_ids)
        opp = candidates.order_by("-amount", "id").first()
        if opp is None:
            continue
        data = {k: v for k, v in spec.items() if k != "owner_slot"}
        services.case_save(actor=author, data={**data, "opportunity_id": opp.pk}, note="首次编写")
        ctx.count("cases")


demo.register_step("knowledge", seed_knowledge, order=870)
