"""The default B2B process of SPEC S3, as plain data (used by a data migration and tests)."""

TEXT, AREA, NUMBER, DATE, CHOICE = "text", "textarea", "number", "date", "choice"


def field(name, label, kind=TEXT, required=True, choices=()):
    return {
        "name": name,
        "label": label,
        "type": kind,
        "required": required,
        "choices": list(choices),
    }


B2B = {
    "name": "标准B2B销售流程",
    "description": "SPEC S3 默认流程：线索获取 → 线索筛选 → 初步接洽 → 需求分析 → 方案呈现 → 商务谈判 → 赢单/输单。",
    "stages": [
        {
            "code": "acquisition",
            "name": "线索获取",
            "probability": 5,
            "covered_by_lead": True,
            "core_action": "从展会、官网、渠道等获取线索并登记",
            "roles": ["sales_assistant", "marketing"],
            "rule": "24h",
            "note": "获取后24小时内录入",
            "outputs": [
                {
                    "code": "lead_form",
                    "name": "线索信息登记表",
                    "kind": "form",
                    "fields": [
                        field("company", "公司名称"),
                        field("contact", "联系人"),
                        field("needs", "需求描述", AREA),
                        field("source", "线索来源"),
                    ],
                }
            ],
        },
        {
            "code": "screening",
            "name": "线索筛选",
            "probability": 10,
            "covered_by_lead": True,
            "core_action": "判断匹配度（行业、规模、意向）",
            "roles": ["sales_rep"],
            "rule": "48h",
            "note": "录入后48小时内",
            "outputs": [
                {
                    "code": "lead_score",
                    "name": "线索评分表",
                    "kind": "form",
                    "fields": [
                        field("score", "评分", NUMBER),
                        field("grade", "等级"),
                        field("intent", "意向等级"),
                    ],
                }
            ],
        },
        {
            "code": "initial_contact",
            "name": "初步接洽",
            "probability": 20,
            "core_action": "电话/邮件沟通，介绍价值，确认需求",
            "roles": ["sales_rep"],
            "rule": "24h",
            "note": "A类客户24小时内",
            "outputs": [
                {
                    "code": "first_contact",
                    "name": "初次沟通记录",
                    "kind": "form",
                    "fields": [
                        field("contact_date", "沟通日期", DATE),
                        field(
                            "method", "沟通方式", CHOICE, choices=["电话", "拜访", "邮件", "微信"]
                        ),
                        field("feedback", "客户反馈（原话）", AREA),
                        field("confirmed_needs", "确认的需求", AREA),
                        field("next_step", "下一步", required=False),
                    ],
                }
            ],
        },
        {
            "code": "needs_analysis",
            "name": "需求分析",
            "probability": 40,
            "core_action": "深度访谈，挖掘痛点和决策链",
            "roles": ["sales_rep", "sales_manager"],
            "rule": "3 working days",
            "note": "首次拜访后3个工作日内",
            "outputs": [
                {
                    "code": "needs_report",
                    "name": "需求分析报告",
                    "kind": "form",
                    "fields": [
                        field("pain_points", "痛点", AREA),
                        field("decision_chain", "决策链", AREA),
                        field("budget", "预算"),
                        field("timeline", "时间表"),
                    ],
                }
            ],
        },
        {
            "code": "solution",
            "name": "方案呈现",
            "probability": 60,
            "core_action": "定制方案，产品演示",
            "roles": ["sales_rep", "product_expert"],
            "rule": "5 working days",
            "note": "需求确认后5个工作日内",
            "outputs": [
                {"code": "proposal", "name": "解决方案书", "kind": "file", "fields": []},
                {"code": "demo_deck", "name": "演示PPT", "kind": "file", "fields": []},
            ],
        },
        {
            "code": "negotiation",
            "name": "商务谈判",
            "probability": 80,
            "core_action": "价格、合同条款谈判",
            "roles": ["sales_rep", "sales_director"],
            "rule": "7 working days",
            "note": "意向确认后7个工作日内",
            "outputs": [
                {
                    "code": "contract_approval",
                    "name": "合同审批单",
                    "kind": "form",
                    "fields": [
                        field("contract_amount", "合同金额（元）", NUMBER),
                        field("discount", "折扣（%）", NUMBER),
                        field("payment_terms", "付款条件", AREA),
                        field("special_terms", "特殊条款", AREA, required=False),
                    ],
                },
                {
                    "code": "negotiation_minutes",
                    "name": "谈判纪要",
                    "kind": "form",
                    "fields": [
                        field("meeting_date", "谈判日期", DATE),
                        field("participants", "参与人"),
                        field("topics", "议题与结果", AREA),
                        field("open_issues", "遗留问题", AREA, required=False),
                    ],
                },
            ],
        },
    ],
}

LOST_REASONS = ["价格偏高", "竞品胜出", "需求取消", "预算不足", "决策延期", "联系中断", "其他"]
PRODUCT_LINES = ["智能装备", "工业软件", "运维服务"]
