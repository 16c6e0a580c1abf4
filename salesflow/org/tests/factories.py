import factory

from salesflow.org import services
from salesflow.org.models import Department, Role, User


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"部门{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Paths are maintained by the service, never by a plain save.
        return services.department_save(actor=None, department=model_class(*args, **kwargs))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("pass-for-tests-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        codes = [extracted] if isinstance(extracted, str) else extracted
        self.roles.set(Role.objects.filter(code__in=codes))


def role(code: str) -> Role:
    return Role.objects.get(code=code)
