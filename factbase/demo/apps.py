from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data from the two articles: built on the domain apps, installed after them."""

    name = "factbase.demo"
    label = "demo"
