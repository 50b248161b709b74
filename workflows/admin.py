from django.contrib import admin

from workflows.models import (
    Agency,
    BankHolidayChange,
    Membership,
    Partnership,
    Region,
    RegionalAccess,
    User,
)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    exclude = ["password"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "nation"]
    prepopulated_fields = {"slug": ["name"]}


admin.site.register(Agency)
admin.site.register(Membership)
admin.site.register(BankHolidayChange)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """A group of partnerships whose aggregate statistics a regional lead may see."""

    list_display = ["name", "slug"]
    filter_horizontal = ["partnerships"]


@admin.register(RegionalAccess)
class RegionalAccessAdmin(admin.ModelAdmin):
    """Who sees a region's statistics; no region means the national view."""

    list_display = ["user", "region"]
