"""Factories for core: staff users, in the roles (auth groups) the migrations create."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

PASSWORD = "pw-for-tests-1"


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user with the test password. `groups` takes role names: `UserFactory(groups=["Marketing"])`;
    `superuser=True` makes a superuser (staff too), as `createsuperuser` would."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True  # the groups hook saves nothing on the user row

    class Params:
        superuser = factory.Trait(is_staff=True, is_superuser=True)

    username = factory.Sequence(lambda n: f"user-{n + 1}")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class._default_manager.create_user(*args, **kwargs)  # hashes the password

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*[Group.objects.get(name=name) for name in extracted])  # a missing role is an error
