"""``manage.py print_demo_logins`` — the demo logins that exist, and the shared password."""

from django.core.management.base import BaseCommand

from salesflow.org import demo


class Command(BaseCommand):
    help = "打印已存在的演示账号（登录名、姓名、角色、部门）和共用密码。"

    def handle(self, *args, **options):
        demo.write_logins(self.stdout)
