// The page's behaviour: no framework, no build step. Vocabularies come from the API's own
// OpenAPI schema, products from GET /products, real baskets from GET /samples.
"use strict";

const $ = (id) => document.getElementById(id);
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
let samples = [];

function options(select, values, labels) {
  select.replaceChildren(...values.map((v, i) => new Option(labels ? labels[i] : v, v)));
}

function enumOf(schema, field) {
  const prop = schema.components.schemas.Basket.properties[field];
  return prop.enum || (prop.anyOf || []).flatMap((s) => s.enum || []);
}

function addLine(line = { prod_code: "", quantity: 1, spend: 1.0 }) {
  const row = document.createElement("tr");
  row.className = "line";
  row.innerHTML = `<td><input class="code" list="product-options" required maxlength="32"></td>
    <td><input class="quantity" type="number" min="1" step="1" required></td>
    <td><input class="spend" type="number" min="0" step="0.01" required></td>
    <td><button type="button" class="remove" title="Remove this line">×</button></td>`;
  row.querySelector(".code").value = line.prod_code;
  row.querySelector(".quantity").value = line.quantity;
  row.querySelector(".spend").value = line.spend;
  row.querySelector(".remove").onclick = () => row.remove();
  $("lines").tBodies[0].appendChild(row);
  return row;
}

async function searchProducts(prefix) {
  const response = await fetch(`products?prefix=${encodeURIComponent(prefix)}&limit=20`);
  if (!response.ok) return;
  const found = await response.json();
  $("product-options").replaceChildren(...found.products.map((p) => {
    const o = new Option(`${p.n_lines} lines, class ${p.product_class || "none yet"}`, p.prod_code);
    return o;
  }));
  $("search-count").textContent = `${found.total} products match`;
}

function basketFromForm() {
  const lines = [...document.querySelectorAll("#lines tr.line")].map((row) => ({
    prod_code: row.querySelector(".code").value.trim(),
    quantity: Number(row.querySelector(".quantity").value),
    spend: Number(row.querySelector(".spend").value),
  }));
  return {
    basket_id: "page",
    store_format: $("store_format").value,
    store_region: $("store_region").value,
    shop_weekday: Number($("shop_weekday").value),
    shop_hour: Number($("shop_hour").value),
    lines,
  };
}

function loadSample() {
  if (!samples.length) return;
  const i = Math.floor(Math.random() * samples.length);
  const basket = samples[i].basket;
  $("store_format").value = basket.store_format;
  $("store_region").value = basket.store_region;
  $("shop_weekday").value = String(basket.shop_weekday);
  $("shop_hour").value = basket.shop_hour;
  $("lines").tBodies[0].replaceChildren();
  basket.lines.forEach(addLine);
  const seen = samples[i].observed ? `, observed label ${samples[i].observed}` : "";
  $("sample-note").textContent = `basket ${basket.basket_id} (${basket.lines.length} lines${seen})`;
}

function show(answer) {
  const p = answer.predictions[0];
  $("label").textContent = p.label;
  $("label").className = p.label;
  $("bars").replaceChildren(...Object.entries(p.probabilities).map(([name, value]) => {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.class = name;
    bar.innerHTML = `<span class="name">${name}</span><span class="track"><span class="fill ${name}"></span></span>
      <span class="value">${value.toFixed(3)}</span>`;
    bar.querySelector(".fill").style.width = `${(100 * value).toFixed(1)}%`;
    return bar;
  }));
  $("counts").textContent = `${p.n_lines} lines: ${p.unknown_product_lines} with a product the model has no ` +
    `statistics for, ${p.unclassed_lines} whose product has no class yet.`;
  const w = answer.training_weeks, s = answer.product_snapshot;
  const rows = [
    ["model version", answer.model_version], ["model", answer.model_name], ["bundle id", answer.bundle_id],
    ["training weeks", `${w.first}..${w.last} (${w.n})`],
    ["product snapshot", `as of week ${s.as_of_week}, ${s.n_products} products, sha256 ${s.sha256}`],
  ];
  $("provenance").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = v;
    return [dt, dd];
  }));
  $("result").hidden = false;
  $("result").scrollIntoView({ block: "nearest" });
}

async function submit(event) {
  event.preventDefault();
  $("error").hidden = true;
  const response = await fetch("predict", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(basketFromForm()),
  });
  const answer = await response.json();
  if (!response.ok) {
    $("result").hidden = true;
    $("error").textContent = `${response.status}: ${answer.message || answer.detail}`;
    $("error").hidden = false;
    return;
  }
  show(answer);
}

async function start() {
  const schema = await (await fetch("openapi.json")).json();
  options($("store_format"), enumOf(schema, "store_format"));
  options($("store_region"), enumOf(schema, "store_region"));
  options($("shop_weekday"), [1, 2, 3, 4, 5, 6, 7], WEEKDAYS);
  $("shop_weekday").value = "3";
  addLine();
  $("add-line").onclick = () => addLine();
  $("load-sample").onclick = loadSample;
  $("basket-form").onsubmit = submit;
  let timer;
  $("product-search").oninput = (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => searchProducts(e.target.value), 150);
  };
  searchProducts("");
  const response = await fetch("samples");
  if (response.ok) {
    const found = await response.json();
    samples = found.baskets.map((basket, i) => ({ basket, observed: found.observed_labels[i] }));
    $("load-sample").disabled = !samples.length;
  }
  document.body.dataset.ready = "true";
}

start();
