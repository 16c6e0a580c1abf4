"""``manage.py seed_demo [--if-empty] [--seed N]`` — build the demo company (idempotent)."""

from django.core.management.base import BaseCommand

from salesflow.org import demo
from salesflow.org.models import User


class Command(BaseCommand):
    help = "创建演示公司（部门、人员、角色）并打印演示账号；重复运行不会产生重复数据。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库中已有任何用户时不创建演示数据（仍打印演示账号）。",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"随机数种子，决定姓名、电话等（默认 {demo.DEFAULT_SEED}）。",
        )

    def handle(self, *args, if_empty=False, seed=demo.DEFAULT_SEED, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("数据库中已有用户，跳过创建演示数据。")
        else:
            ctx = demo.seed(stdout=self.stdout, seed=seed)
            departments, users = demo.company_counts()
            self.stdout.write(
                self.style.SUCCESS(f"演示公司已创建：{departments} 个部门，{users} 名用户")
                + f"（本次新建 {ctx.created['departments']} 个部门、"
                f"{ctx.created['users']} 名用户）"
            )
        self.stdout.write("")
        demo.write_logins(self.stdout)
