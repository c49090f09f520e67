"""isoplan: plan Incentive Stock Option exercises around the Alternative Minimum Tax."""

__version__ = "0.1.0"
