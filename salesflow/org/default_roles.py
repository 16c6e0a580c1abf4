"""The ten roles of SPEC "Roles" with their default rights (an administrator changes any cell).

Shorthand: v view · a add · c change · d delete · e export · p approve · s assign ·
k view contact details. A scope after "@" overrides the role's default scope for that type.
Used by the data migration ``org.0002_default_roles`` and by tests; keep it plain data.
"""

ACTION_CODES = {
    "v": "view",
    "a": "add",
    "c": "change",
    "d": "delete",
    "e": "export",
    "p": "approve",
    "s": "assign",
    "k": "view_contact",
}

BUSINESS = (
    "lead",
    "customer",
    "contact",
    "opportunity",
    "followup",
    "task",
    "quote",
    "contract",
    "order",
    "receipt",
    "complaint",
    "maintenance",
    "target",
    "report",
)

#: Planning and coaching: strategy plans, review meetings, training, process interviews.
PLANNING = ("plan", "meeting", "training", "interview")

ROLES = [
    {
        "code": "sales_rep",
        "name": "销售代表",
        "scope": "own",
        "description": "本人的线索、客户、联系人、商机、跟进、任务和报价；可查看本人客户的联系方式；"
        "可申请跳过阶段和折扣。默认不能导出、不能审批、看不到他人记录。",
        "rights": {
            "lead": "vack",
            "customer": "vack",
            "contact": "vack",
            "opportunity": "vac",
            "followup": "vac",
            "task": "vac",
            "quote": "vac",
            # draft their own contracts and submit them into the approval routing
            "contract": "vac",
            "order": "v",
            "receipt": "v",
            "complaint": "va",
            "maintenance": "vac",
            "target": "v",
            # write and submit their own weekly/monthly reports
            "report": "vac",
            "product": "v@company",
            # plans of their team, meetings they attended, training they took part in
            "plan": "v",
            "meeting": "v",
            "training": "v",
        },
    },
    {
        "code": "sales_assistant",
        "name": "销售助理",
        "scope": "department_tree",
        "description": "为所支持的销售录入线索和跟进，登记投诉。不能审批，不能修改金额。",
        "rights": {
            "lead": "vack",
            "customer": "vk",
            "contact": "vk",
            "opportunity": "v",
            "followup": "vac",
            "task": "vac",
            "complaint": "va",
            "product": "v@company",
            "plan": "v",
            "meeting": "v",
            "training": "v",
        },
    },
    {
        "code": "sales_manager",
        "name": "销售经理",
        "scope": "subordinates",
        "description": "下属能做的一切；分配与再分配；审批一级折扣和报价；导出团队列表；"
        "审阅跟进和报表。不能审批阶段跳过。",
        "rights": {
            "lead": "vacdesk",
            "lead_pool": "vs@company",
            "customer": "vacdesk",
            "contact": "vacdek",
            "opportunity": "vacdes",
            "followup": "vace",
            "task": "vacdes",
            "quote": "vacdep",
            # approve: the first step of the contract approval routing (deals rules table)
            "contract": "vacep",
            # place orders from their team's signed contracts and keep delivery up to date
            "order": "vace",
            "receipt": "ve",
            "complaint": "vae",
            "maintenance": "vace",
            "target": "v",
            # approve: review the team's reports (comments) and record variance reasons
            "report": "vacep",
            "product": "v@company",
            # plans, review meetings, training and process interviews of their department
            "plan": "vacde@department_tree",
            "meeting": "vacde@department_tree",
            "training": "vacde@department_tree",
            "interview": "vacde@department_tree",
        },
    },
    {
        "code": "sales_director",
        "name": "销售总监",
        "scope": "company",
        "description": "全部业务数据；审批阶段跳过、合同和大额折扣；重开赢单/输单；制定目标。"
        "不能修改系统设置。",
        "rights": {
            **dict.fromkeys(BUSINESS, "vacdepsk"),
            "lead_pool": "vs",
            "product": "vacde",
            "org.user": "v",
            "org.department": "v",
            "core.setting": "v",
            "core.audit": "v",
            **dict.fromkeys(PLANNING, "vacde"),
        },
    },
    {
        "code": "key_account_manager",
        "name": "大客户经理",
        "scope": "own",
        "description": "同销售代表，负责分配给本人的重点客户。",
        "rights": {
            "lead": "vack",
            "customer": "vack",
            "contact": "vack",
            "opportunity": "vac",
            "followup": "vac",
            "task": "vac",
            "quote": "vac",
            # draft their own contracts and submit them into the approval routing
            "contract": "vac",
            "order": "v",
            "receipt": "v",
            "complaint": "va",
            "maintenance": "vac",
            "target": "v",
            # write and submit their own weekly/monthly reports
            "report": "vac",
            "product": "v@company",
            # plans of their team, meetings they attended, training they took part in
            "plan": "v",
            "meeting": "v",
            "training": "v",
        },
    },
    {
        "code": "marketing",
        "name": "市场专员",
        "scope": "own",
        "description": "登记和导入线索（本人录入的和未分配的线索）；查看线索来源转化和获客成本。"
        "看不到商机金额，也看不到转化后的客户联系方式。",
        "rights": {
            "lead": "vack",
            "lead_pool": "v@company",
            # Customer names (no contact details): to pick the referrer of a 转介绍 lead.
            "customer": "v@company",
            "report": "v@company",
            "product": "v@company",
        },
    },
    {
        "code": "customer_service",
        "name": "客服/售后",
        "scope": "company",
        "description": "查看全公司客户；处理投诉、回访和维护动作。看不到商机金额、报价和合同。",
        "rights": {
            "customer": "vk",
            "contact": "vk",
            "complaint": "vace",
            "maintenance": "vace",
            "followup": "va",
            "task": "vac@own",
            "product": "v",
        },
    },
    {
        "code": "product_expert",
        "name": "产品专家/技术支持",
        "scope": "own",
        "description": "参与协作的商机：上传方案文档、添加跟进。看不到其他商机。",
        "rights": {
            "opportunity": "v",
            "followup": "va",
            "task": "vac",
            "product": "v@company",
        },
    },
    {
        "code": "finance",
        "name": "财务",
        "scope": "company",
        "description": "全公司合同、订单、回款：登记回款、回款计划和信用额度；导出应收。"
        "不能修改商机，也不能变更客户负责人。",
        "rights": {
            "customer": "v",
            # approve: the finance step of large contracts (deals rules table)
            "contract": "vep",
            "order": "ve",
            "receipt": "vacde",
            "report": "ve",
            "product": "v",
        },
    },
    {
        "code": "admin",
        "name": "系统管理员",
        "scope": "company",
        "description": "用户、角色、部门、系统设置、流程模板、导入和回收站；所有操作均有审计。",
        "rights": {
            **dict.fromkeys(BUSINESS, "vacd"),
            "lead_pool": "vs",
            "product": "vacde",
            "org.user": "vacd",
            "org.department": "vacd",
            "org.role": "vacd",
            "core.setting": "vc",
            "core.calendar": "vacd",
            "core.audit": "ve",
            "core.recycle": "vc",
            **dict.fromkeys(PLANNING, "vacd"),
        },
    },
]


#: The handbook and knowledge base (手册与知识库) is company-wide content: every sales role (and
#: the product experts who help in the solution stage) reads all of it; managers, directors and
#: administrators write it.
KNOWLEDGE_RIGHTS = {
    "sales_rep": "v@company",
    "sales_assistant": "v@company",
    "key_account_manager": "v@company",
    "product_expert": "v@company",
    "sales_manager": "vac@company",
    "sales_director": "vac",
    "admin": "vac",
}
for _spec in ROLES:
    if _spec["code"] in KNOWLEDGE_RIGHTS:
        _spec["rights"]["knowledge"] = KNOWLEDGE_RIGHTS[_spec["code"]]


#: Process pilots (流程试点): directors and administrators run them and decide; managers and the
#: pilot teams' members see the pilots of their teams (the model's team rule) and give feedback.
PILOT_RIGHTS = {
    "sales_rep": "v",
    "key_account_manager": "v",
    "sales_manager": "v",
    "sales_director": "vacp",
    "admin": "vacp",
}
for _spec in ROLES:
    if _spec["code"] in PILOT_RIGHTS:
        _spec["rights"]["pilot"] = PILOT_RIGHTS[_spec["code"]]


#: Appraisal and incentives (考核与激励): a rep sees only their own scorecard and commission
#: statement; managers compute, comment and confirm their team's scorecards and submit their
#: statements; the director approves statements; finance sees and exports statements but has
#: no right on scorecards (so never their comments). Contests are visible company-wide.
INCENTIVE_RIGHTS = {
    "sales_rep": {"scorecard": "v", "commission": "v", "contest": "v@company"},
    "key_account_manager": {"scorecard": "v", "commission": "v", "contest": "v@company"},
    "sales_manager": {"scorecard": "vac", "commission": "vace", "contest": "vac@company"},
    "sales_director": {"scorecard": "vacde", "commission": "vacdep", "contest": "vacd"},
    "finance": {"commission": "ve"},
    "admin": {"scorecard": "vacd", "commission": "vacd", "contest": "vacd"},
}
for _spec in ROLES:
    _spec["rights"].update(INCENTIVE_RIGHTS.get(_spec["code"], {}))


def expand(rights: dict[str, str]) -> list[tuple[str, list[str], str]]:
    """``{"lead": "vac@own"}`` → ``[("lead", ["view", "add", "change"], "own")]``."""
    rows = []
    for object_type, spec in rights.items():
        codes, _, scope = spec.partition("@")
        rows.append((object_type, [ACTION_CODES[c] for c in codes], scope))
    return rows
