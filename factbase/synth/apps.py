from django.apps import AppConfig


class SynthConfig(AppConfig):
    """Generated data for benchmarks: built on the domain apps, installed after them."""

    name = "factbase.synth"
    label = "synth"
