"""The data dictionary's prose: what each column means, and the text around the measured tables.

`data_dictionary.py` renders it with the measured tables; what is here is the file's
structure, which must not depend on the data. Types and allowed values follow
`retail_assets/ingest/schema.py`.
"""

# column -> (type, allowed values, meaning); types and values as in ingest/schema.py.
COLUMN_NOTES: dict[str, tuple[str, str, str]] = {
    "SHOP_WEEK": ("int32", "YYYYWW, the file's week", "The retailer's week of the purchase; the file's name carries the same week, and a row of another week is quarantined. 52 weeks to a year."),
    "SHOP_DATE": ("int32", "YYYYMMDD", "Calendar date of the purchase, within SHOP_WEEK."),
    "SHOP_WEEKDAY": ("int8", "1..7", "Day of the week; 1 = Sunday, 2 = Monday, … 7 = Saturday."),
    "SHOP_HOUR": ("int8", "0..23", "Hour of the day of the purchase."),
    "QUANTITY": ("int32", "≥ 1", "Units of the product on this line."),
    "SPEND": ("float64", "≥ 0", "Money spent on the line (the currency's units, two decimals; the files write the shortest decimal, e.g. `2.0`, `0.93`)."),
    "PROD_CODE": ("string", "`PRD` + 7 digits", "The product (stock-keeping unit)."),
    "PROD_CODE_10": ("string", "`CL` + 5 digits", "Product hierarchy, level 10: the category directly above the product. The price index of a product is taken within this level (contracts.md section 3)."),
    "PROD_CODE_20": ("string", "`DEP` + 5 digits", "Product hierarchy, level 20 (above level 10; the prefix reads as department)."),
    "PROD_CODE_30": ("string", "`G` + 5 digits", "Product hierarchy, level 30 (above level 20)."),
    "PROD_CODE_40": ("string", "`D` + 5 digits", "Product hierarchy, level 40: the top level."),
    "CUST_CODE": ("string, null", "`CUST` + 10 digits", "The customer, when the retailer knows who shopped; empty (`\"\"`) = an unknown customer."),
    "CUST_PRICE_SENSITIVITY": ("string, null", "LA, MM, UM, XX", "The customer's price-sensitivity segment (the retailer's, not this project's): LA less affluent, MM mid market, UM up market, XX unclassified. Header variant `seg_1` codes it AZ/CT/BG/DY. Empty when the customer is unknown."),
    "CUST_LIFESTAGE": ("string, null", "YA, OA, YF, OF, PE, OT, XX", "The customer's life stage: YA young adults, OA older adults, YF young families, OF older families, PE pensioners, OT other, XX unclassified. Header variant `seg_2` codes it AT/CZ/DI/EQ/FN/BU. Empty when the customer is unknown, and for some known customers too."),
    "BASKET_ID": ("int64", "15 digits", "The basket (one shopping trip, one till receipt); unique across weeks. A spreadsheet that rewrote it as `9.94E+14` destroyed it: such a file is refused."),
    "BASKET_SIZE": ("string", "L, M, S", "The retailer's size band of the basket: large, medium, small."),
    "BASKET_PRICE_SENSITIVITY": ("string", "LA, MM, UM, XX", "**The label this project predicts**: the basket's price sensitivity, LA less affluent, MM mid market, UM up market; XX = the retailer left the basket unclassified (left out of training and of the accuracy figures)."),
    "BASKET_TYPE": ("string", "Full Shop, Small Shop, Top Up, XX", "The kind of trip; XX = not classified."),
    "BASKET_DOMINANT_MISSION": ("string", "Fresh, Grocery, Mixed, Nonfood, XX", "What the basket mostly holds; XX = not classified."),
    "STORE_CODE": ("string", "`STORE` + 5 digits", "The store."),
    "STORE_FORMAT": ("string", "LS, MS, SS, XLS", "The store's size format: large, medium, small, extra-large store."),
    "STORE_REGION": ("string", "E01..E03, N01..N03, S01..S03, W01..W03", "The store's region: a compass letter (east, north, south, west) and a number."),
}

XX_MEANINGS = (
    ("BASKET_PRICE_SENSITIVITY", "the retailer did not classify the basket; such baskets are kept in raw, silver and gold (their lines count in product spend and quantity) but never train a model and are left out of the accuracy figures"),
    ("BASKET_TYPE", "the trip type was not classified"),
    ("BASKET_DOMINANT_MISSION", "the mission was not classified"),
    ("CUST_PRICE_SENSITIVITY", "a known customer whose segment is unclassified (an unknown customer is empty instead)"),
    ("CUST_LIFESTAGE", "a known customer whose life stage is unclassified (empty = unknown)"),
)

INTRO = """# Data dictionary

The input is the dunnhumby weekly transaction files, `transactions_YYYYWW.csv[.gz]`, one
file per week. **One line is one product in one basket**: the basket's and the store's fields
repeat on each of its lines. The pipeline maps both header variants onto one canonical
schema of 22 columns (`retail_assets/ingest/schema.py`, `docs/contracts.md` section 1), and
silver, gold and the model read only that schema.

This file is written by a script; edit the script, not the file:

```bash
python -m retail_assets.reports.data_dictionary --data DIR --out docs/data-dictionary.md           # regenerate
python -m retail_assets.reports.data_dictionary --data DIR --out docs/data-dictionary.md --check   # exit 1 if stale
```

`DIR` is the folder of weekly files; the committed file is measured on the real weeks (its
overview names the files and weeks). `tests/retail_assets/reports/test_data_dictionary.py`
regenerates the tables on generated data and fails when the script and this file's
structure disagree.
"""

HEADER_PROSE = """## Header variants

Copies of the data name two columns differently and code their values differently. Both
are read; a file is one or the other, and anything else (a missing, extra or repeated
column) refuses the file. Empty (`""`) means unknown in both.

| position | header `seg` variant | header `cust` variant = canonical | codes of the `seg` variant → canonical |
|---|---|---|---|
"""


MEASURED_PROSE = """## Measured on the data

Figures from `--data DIR` as raw would hold it (parsed and validated by the ingest code).
Shares of baskets unless said otherwise.

<!-- measured:overview -->
<!-- /measured -->

### Class balance (the label, `BASKET_PRICE_SENSITIVITY`)

MM is about half of the baskets: candidates weight classes rather than resample (README,
"Models and registry"), and accuracy is read beside macro-F1.

<!-- measured:class_balance -->
<!-- /measured -->

### Label by store format

<!-- measured:by_store_format -->
<!-- /measured -->

### Label by store region

<!-- measured:by_region -->
<!-- /measured -->

### Single-line baskets

A basket of one line takes its label from its one product. The model's strongest features
come from them (the product's *class*, contracts.md section 3).

<!-- measured:single_line -->
<!-- /measured -->

### Product hierarchy

"Most parents of one code" = 1 means the level nests: each code sits under exactly one code
of the level above.

<!-- measured:products -->
<!-- /measured -->

### Empty values per column

<!-- measured:nulls -->
<!-- /measured -->

### Values of the coded basket-level columns

<!-- measured:values -->
<!-- /measured -->
"""
