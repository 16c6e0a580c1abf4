from django.core import checks


@checks.register()
def owned_models_are_scoped(app_configs, **kwargs):
    """Every model with an ``owner`` field must be registered for data scope."""
    from .scope import unregistered_owned_models

    return [
        checks.Error(
            f"{model._meta.label} has an owner but is not registered in salesflow.core.scope",
            id="salesflow.E001",
        )
        for model in unregistered_owned_models()
    ]
