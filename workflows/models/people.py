"""Who takes part: users, partnerships (CSPs), agencies and their roles."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their work email address."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"


class Partnership(models.Model):
    """A Community Safety Partnership (CSP): the body that holds reviews in its area."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    code = models.CharField(
        max_length=12, unique=True, help_text="Short code used in review references, e.g. DEMO."
    )
    nation = models.CharField(max_length=10, choices=Nation.choices, default=Nation.ENGLAND)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def bank_holiday_region(self) -> str:
        # England and Wales share one list of bank holidays.
        return "england-and-wales"


class BankHolidayChange(models.Model):
    """A day a partnership adds to or removes from the national bank holiday list."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="bank_holiday_changes"
    )
    day = models.DateField()
    is_holiday = models.BooleanField(
        help_text="Ticked: treat the day as a holiday. Unticked: treat it as a working day."
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "day"], name="one_change_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} ({'holiday' if self.is_holiday else 'working day'})"


class Agency(models.Model):
    """A body that may have known the people involved: police, health, housing, probation."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="agencies")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="unique_agency_name")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Community safety coordinator"
    CSP_CHAIR = "csp_chair", "Community Safety Partnership chair"
    INDEPENDENT_CHAIR = "independent_chair", "Independent chair"
    PANEL_MEMBER = "panel_member", "Review panel member"
    AGENCY_AUTHOR = "agency_author", "Agency report (IMR) author"
    SENIOR_MANAGER = "senior_manager", "Agency senior manager"


class Membership(models.Model):
    """A person's role in a partnership; agency roles also name the agency."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "partnership", "role", "agency"], name="unique_agency_membership"
            ),
            models.UniqueConstraint(
                fields=["user", "partnership", "role"],
                condition=models.Q(agency__isnull=True),
                name="unique_partnership_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} - {self.partnership}"
