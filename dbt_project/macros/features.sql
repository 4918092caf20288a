{#- Product statistics of contracts.md section 3, shared by the point-in-time and latest tables. -#}

{% macro smoothed_label_share(n_label, n_lines) -%}
    {#- Laplace smoothing over the three classes: 1/3 for a product never seen. -#}
    (cast({{ n_label }} as double) + 1) / (cast({{ n_lines }} as double) + 3)
{%- endmacro %}


{% macro log_price_index(product_spend, product_quantity, category_spend, category_quantity) -%}
    {#- ln(product unit price / category unit price); 0 when either side has no quantity or no spend. -#}
    case
        when {{ product_quantity }} > 0 and {{ product_spend }} > 0
            and {{ category_quantity }} > 0 and {{ category_spend }} > 0
        then ln(
            (cast({{ product_spend }} as double) / cast({{ product_quantity }} as double))
            / (cast({{ category_spend }} as double) / cast({{ category_quantity }} as double))
        )
        else cast(0 as double)
    end
{%- endmacro %}


{% macro labelled_classes() -%}
    {{- return(['LA', 'MM', 'UM']) -}}
{%- endmacro %}


{% macro product_class(alias) -%}
    {#-
        A product's class: the label (LA, MM, UM or XX) held by strictly more of its past
        single-line baskets than any other label; null without a leader (no single-line
        basket yet, or a tie). A single-line basket's label can only come from its one
        product, so this is the cleanest per-product evidence the labels give.
        `alias`: the relation holding n_solo_la, n_solo_mm, n_solo_um, n_solo_xx.
    -#}
    case
        {%- for label in ['LA', 'MM', 'UM', 'XX'] %}
        {%- set others = ['la', 'mm', 'um', 'xx'] | reject('equalto', label | lower) | list %}
        when {{ alias }}.n_solo_{{ label | lower }} > greatest(
            {%- for other in others %}{{ alias }}.n_solo_{{ other }}{{ ', ' if not loop.last }}{% endfor -%}
        ) then '{{ label }}'
        {%- endfor %}
    end
{%- endmacro %}


{% macro ratio(numerator, denominator) -%}
    {#- numerator / denominator as a double; 0 when the denominator is not positive. -#}
    case
        when {{ denominator }} > 0 then cast({{ numerator }} as double) / cast({{ denominator }} as double)
        else cast(0 as double)
    end
{%- endmacro %}
