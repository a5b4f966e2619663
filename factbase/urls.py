from django.contrib import admin
from django.urls import path

admin.site.site_header = "Factbase"
admin.site.site_title = "Factbase admin"
admin.site.index_title = "Facts and their sources"

urlpatterns = [
    path("admin/", admin.site.urls),
]
