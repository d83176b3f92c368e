"""Campaigns (issue #15): rules that grant points or multiply earning for a target, with a holdout.

A `Campaign` is one rule of one kind (welcome, birthday, anniversary, win-back, earning boost, points for
an action, broadcast), aimed at a target (everyone, tiers, an RFM or saved segment, consents, an uploaded
list), with a holdout share that gets nothing and optional A/B `CampaignVariant`s that split the rest.
Every grant, and every holdout member on the same occasion, is one `CampaignGrant` row, unique per
campaign, customer and occasion: whatever runs twice grants once. The points themselves are a ledger
entry (`loyalty.LedgerEntry`, kind "bonus", source "campaign:<id>") with its own lot and expiry.

The messages of a campaign are `messaging.MessageTemplate` rows of kind `Campaign.message_kind`
("campaign:<id>"), one per channel and language, edited in the template editor.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Campaign(models.Model):
    """One campaign. Changed only through campaigns.services (audited).

    Units: `points` and budgets are points (integers); `boost_multiplier` a factor (2 = double points);
    `boost_extra_percent` percentage points of cashback added (5 = +5 % of the line); `holdout_percent`
    the share of the target kept out, in percent. Dates are the shop's local time.
    """

    class Kind(models.TextChoices):
        WELCOME = "welcome", pgettext_lazy("campaign kind", "Welcome bonus")
        BIRTHDAY = "birthday", pgettext_lazy("campaign kind", "Birthday")
        ANNIVERSARY = "anniversary", pgettext_lazy("campaign kind", "Anniversary of the first purchase")
        WIN_BACK = "win_back", pgettext_lazy("campaign kind", "Win-back")
        BOOST = "boost", pgettext_lazy("campaign kind", "Earning boost")
        ACTION = "action", pgettext_lazy("campaign kind", "Points for an action")
        BROADCAST = "broadcast", pgettext_lazy("campaign kind", "Broadcast")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
        SCHEDULED = "scheduled", pgettext_lazy("campaign status", "Scheduled")
        ACTIVE = "active", pgettext_lazy("campaign status", "Active")
        PAUSED = "paused", pgettext_lazy("campaign status", "Paused")
        FINISHED = "finished", pgettext_lazy("campaign status", "Finished")

    class Target(models.TextChoices):
        EVERYONE = "everyone", pgettext_lazy("campaign target", "Everyone")
        TIERS = "tiers", pgettext_lazy("campaign target", "Tiers")
        RFM_SEGMENT = "rfm_segment", pgettext_lazy("campaign target", "RFM segment")
        SAVED_SEGMENT = "saved_segment", pgettext_lazy("campaign target", "Saved segment")
        LIST = "list", pgettext_lazy("campaign target", "Uploaded list")

    class Consent(models.TextChoices):
        ANY = "", pgettext_lazy("campaign consent", "Not required")
        EMAIL = "email", pgettext_lazy("campaign consent", "Email consent")
        SMS = "sms", pgettext_lazy("campaign consent", "SMS consent")
        EMAIL_OR_SMS = "email_or_sms", pgettext_lazy("campaign consent", "Email or SMS consent")

    class Action(models.TextChoices):
        REVIEW = "review", pgettext_lazy("campaign action", "Review written")
        SURVEY = "survey", pgettext_lazy("campaign action", "Survey answered")
        SUBSCRIBED = "subscribed", pgettext_lazy("campaign action", "Subscribed")
        PROFILE_COMPLETED = "profile_completed", pgettext_lazy("campaign action", "Profile completed")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Active between these moments (the end excluded); no end = until finished by hand.
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)

    # Who: the target, narrowed by a consent; the holdout is taken out of it.
    target = models.CharField(_("target"), max_length=20, choices=Target.choices, default=Target.EVERYONE)
    target_tiers = models.ManyToManyField("loyalty.Tier", verbose_name=_("tiers"), blank=True, related_name="+")
    target_rfm_segment = models.CharField(_("RFM segment"), max_length=30, blank=True)
    target_saved_segment = models.ForeignKey(
        "analytics.SavedSegment",
        verbose_name=_("saved segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_consent = models.CharField(
        _("consent required"), max_length=20, choices=Consent.choices, default=Consent.ANY, blank=True
    )
    holdout_percent = models.DecimalField(
        _("holdout, %"),
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
    )

    # What: points per grant (variants override), valid for `points_valid_days` (empty = the program's
    # points lifetime).
    points = models.PositiveIntegerField(_("points"), default=0)
    points_valid_days = models.PositiveIntegerField(_("points valid, days"), null=True, blank=True)
    # Stops granting once this many points were granted (empty = no budget); `points_granted` counts them.
    budget_points = models.PositiveBigIntegerField(_("points budget"), null=True, blank=True)
    points_granted = models.PositiveBigIntegerField(_("points granted"), default=0, editable=False)
    # Grants per customer over the campaign's life (empty = once per occasion, no other limit).
    per_customer_limit = models.PositiveIntegerField(_("grants per customer"), null=True, blank=True)

    # Kind parameters.
    # birthday: days before the birthday the grant is made (0 = on the day).
    days_before = models.PositiveSmallIntegerField(_("days before"), default=0)
    # win_back: the absence steps in days, ascending ([30, 60, 90]).
    absence_days = models.JSONField(_("absence steps, days"), default=list, blank=True)
    # boost: ×K and/or +P % on the lines of `boost_category` (empty = all purchases), on `boost_weekdays`
    # (0 = Monday … 6 = Sunday; empty = every day), between `boost_hour_from` and `boost_hour_to` (local
    # hours, the end excluded; empty = all day).
    boost_multiplier = models.DecimalField(_("multiplier"), max_digits=6, decimal_places=2, null=True, blank=True)
    boost_extra_percent = models.DecimalField(
        _("extra cashback, %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    boost_category = models.CharField(_("category"), max_length=100, blank=True)
    boost_weekdays = models.JSONField(_("weekdays"), default=list, blank=True)
    boost_hour_from = models.PositiveSmallIntegerField(_("from hour"), null=True, blank=True)
    boost_hour_to = models.PositiveSmallIntegerField(_("to hour"), null=True, blank=True)
    # action: which action earns the grant; at most `action_limit` grants per customer per
    # `action_period_days` days.
    action = models.CharField(_("action"), max_length=30, choices=Action.choices, blank=True)
    action_limit = models.PositiveIntegerField(_("grants per customer per period"), null=True, blank=True)
    action_period_days = models.PositiveIntegerField(_("period, days"), null=True, blank=True)

    # How it is announced: channel codes in the order tried (messaging.Channel); empty = no message.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    # Results: "bought within N days" of the grant (or of the occasion, for the holdout).
    response_days = models.PositiveSmallIntegerField(_("response window, days"), default=14)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"], name="campaigns_campaign_kind_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="campaigns_campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(budget_points__isnull=True) | Q(points_granted__lte=models.F("budget_points")),
                name="campaigns_campaign_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def message_kind(self) -> str:
        """The `kind` of this campaign's messages and message templates: "campaign:<id>"."""
        return f"campaign:{self.pk}"

    @property
    def ledger_source(self) -> str:
        """The `source` of this campaign's ledger entries: "campaign:<id>"."""
        return f"campaign:{self.pk}"


class CampaignVariant(models.Model):
    """An A/B variant: the customers outside the holdout are split between a campaign's variants by
    `weight` (relative shares), stably per customer. A campaign without variants grants `Campaign.points`."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="variants"
    )
    code = models.CharField(_("code"), max_length=10)  # "A", "B"
    points = models.PositiveIntegerField(_("points"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["campaign", "code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="campaigns_campaignvariant_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.code}"


class CampaignListMember(models.Model):
    """A customer of a campaign's uploaded list (target "list")."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="list_members")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="campaigns_campaignlistmember_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"


class CampaignGrant(models.Model):
    """One customer reached by a campaign on one occasion: granted (`entry` the ledger entry, `points` > 0)
    or kept in the holdout (`holdout`, no points, no entry, no message) — recorded alike so that results
    compare the two. Unique per (campaign, customer, occasion): a re-run grants nothing twice.

    `occasion` names what the grant is for: "enrol" (welcome), "birthday:2027", "anniversary:2027",
    "absence:<date of the last purchase>:<step days>" (win-back), "action:<action>:<reference>",
    "broadcast". `at` is when the occasion happened (the response window starts there for both groups).
    A boost's rows, one per boosted purchase, are BoostGrant rows instead."""

    # Indexed by once_per_occasion and campaigns_grant_campaign_at (campaign first): no index of its own.
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="grants", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="campaign_grants"
    )
    occasion = models.CharField(_("occasion"), max_length=120)
    variant = models.ForeignKey(
        CampaignVariant, verbose_name=_("variant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holdout = models.BooleanField(_("holdout"), default=False)
    points = models.PositiveBigIntegerField(_("points"), default=0)
    entry = models.OneToOneField(
        "loyalty.LedgerEntry",
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign_grant",
    )
    at = models.DateTimeField(_("date"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign grant")
        verbose_name_plural = _("campaign grants")
        indexes = [models.Index(fields=["campaign", "at"], name="campaigns_grant_campaign_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "occasion"], name="campaigns_campaigngrant_once_per_occasion"
            ),
            models.CheckConstraint(
                condition=(Q(holdout=True) & Q(points=0) & Q(entry__isnull=True)) | Q(holdout=False),
                name="campaigns_campaigngrant_holdout_gets_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}:{self.occasion}"


class BoostGrant(models.Model):
    """One boost campaign's part in one purchase: the boost earned `points` of the purchase's earn entry
    (no entry of its own), or the customer is in the campaign's holdout (`holdout`, no points). What
    CampaignGrant is to the other kinds ("purchase:<id>" occasions), in a table of its own because every
    boosted purchase writes one row per boost (issue #15: five boosts within 10 % of none): three indexes
    instead of six and no foreign-key checks at commit. `nth` numbers a customer's rows of a campaign with
    a per-customer limit (1, 2, …, holdout rows alike; None otherwise), so the limit is one index probe.
    Once per (purchase, campaign), by construction (written with the purchase itself) and by its unique
    index. The references are kept by the code: a
    campaign with rows cannot be deleted (PROTECT), and purchases and their customers never are (the
    ledger is append-only). Results read these rows with the CampaignGrant rows (campaigns.results)."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="boost_grants",
        db_constraint=False,
        db_index=False,  # campaigns_boost_campaign_cust starts with it
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.DO_NOTHING,  # a customer with purchases is never deleted
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        verbose_name=_("purchase"),
        on_delete=models.DO_NOTHING,  # purchases are never deleted
        related_name="+",
        db_constraint=False,
        db_index=False,  # campaigns_boostgrant_once_per_purchase starts with it
    )
    variant = models.ForeignKey(
        CampaignVariant,
        verbose_name=_("variant"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # only a draft's variants are ever deleted, and a draft has no rows
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    holdout = models.BooleanField(_("holdout"), default=False)
    points = models.PositiveBigIntegerField(_("points"), default=0)
    at = models.DateTimeField(_("date"))
    # The per-customer limit is checked from the customer's last row (its `nth`), found by one index probe,
    # not by counting their rows: the check costs the same at the 1st and the 1 000th boosted purchase.
    nth = models.PositiveIntegerField(
        _("number"),
        null=True,
        blank=True,
        help_text=_("Which of the customer's boosted purchases of a campaign with a per-customer limit this is."),
    )

    class Meta:
        verbose_name = _("boost grant")
        verbose_name_plural = _("boost grants")
        indexes = [models.Index(fields=["campaign", "customer", "nth"], name="campaigns_boost_campaign_cust")]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "campaign"], name="campaigns_boostgrant_once_per_purchase"),
            models.CheckConstraint(
                condition=Q(holdout=False) | Q(points=0), name="campaigns_boostgrant_holdout_gets_nothing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}:purchase:{self.purchase_id}"


class CampaignAction(models.Model):
    """One action reported through the API (`POST /api/v1/customers/{id}/actions/`) and what it answered:
    the Idempotency-Key (per API client) and the request's fingerprint, so that a retry replays
    `response` exactly (the grants themselves are CampaignGrant rows of occasion
    "action:<action>:<reference>", made once per campaign, customer and reference)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30, choices=Campaign.Action.choices)
    reference = models.CharField(_("reference"), max_length=64)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    response = models.JSONField(_("answer"), default=dict, editable=False)
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("date"))

    class Meta:
        verbose_name = _("reported action")
        verbose_name_plural = _("reported actions")
        indexes = [models.Index(fields=["customer", "action", "reference"], name="campaigns_action_reference")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.action}:{self.reference}"
