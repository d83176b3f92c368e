from django.http import HttpRequest


def nav(request: HttpRequest) -> dict:
    """Navigation flags for the base layout: each link shows only for users who may use it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "dashboard": user.has_perm("console.view_dashboard"),
            "cashier": user.has_perm("cashier.use_cashier"),
            "tiers": user.has_perm("loyalty.change_tier"),
            "customers": user.has_perm("customers.view_customer"),
            "settings": user.has_perm("loyalty.change_programsettings"),
            "audit": user.has_perm("core.view_auditentry"),
            "messages": user.has_perm("messaging.view_message"),
            "message_templates": user.has_perm("messaging.change_messagetemplate"),
            # the notices page needs both (console.views.notices.message_notices)
            "message_notices": user.has_perms(["messaging.view_noticesetting", "messaging.change_noticesetting"]),
            "campaigns": user.has_perm("campaigns.view_campaign"),
            "api_clients": user.has_perm("api.change_apiclient"),
            "admin": user.is_staff,
        }
    }
