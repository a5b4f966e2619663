"""Reference exchange rates (the ECB's), and US dollar values filled from them.

- models.py: ExchangeRate, one currency's rate against the euro on one day;
- ecb.py: reading the files the ECB publishes (eurofxref-hist.csv, eurofxref.csv, their ZIPs);
- loading.py: storing what a file holds (load_rates);
- conversion.py: US dollars per unit of a currency on a day, as cross rates through the euro;
- filling.py: the US dollar values of money facts that have none (fill_usd);
- demo.py: the sample rates and the demo's US dollar values, for load_demo.
"""
