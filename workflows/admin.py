from django.contrib import admin

from workflows.models import Agency, BankHolidayChange, Membership, Partnership, User


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
