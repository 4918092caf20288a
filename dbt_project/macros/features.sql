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
