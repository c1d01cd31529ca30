-- Quarto filter for the health-check reports: draws the blocks the notebook displays as the
-- built-in renderer does (pipeline/report/templates/report.html.j2 and report.typ), so the two
-- renderers' reports look alike. Text from data stays data: HTML gets pandoc elements (escaped by
-- pandoc), Typst gets string literals.

local STATUS = {} -- "✔ on track" -> "on track", from the `svf-status` metadata (render_quarto)

local function is_typst()
  return quarto.doc.is_format("typst")
end

-- A Typst string literal holding `s` exactly (as pipeline.report.render_builtin.tstr).
local function tstr(s)
  local out = s:gsub("[%c\\\"]", function(c)
    if c == "\\" then return "\\\\" end
    if c == '"' then return '\\"' end
    if c == "\n" then return "\\n" end
    return string.format("\\u{%x}", string.byte(c))
  end)
  return '"' .. out .. '"'
end

local function read_meta(meta)
  local map = meta["svf-status"]
  if map then
    for label, word in pairs(map) do
      STATUS[label] = pandoc.utils.stringify(word)
    end
  end
end

-- Headline figures: `::: {.kpis}` holding a list of [label]{.kpi-label}: [value]{.kpi-value}
-- [note]{.kpi-note} items.
local function kpi_parts(item)
  local found = {}
  pandoc.walk_block(pandoc.Div(item), {
    Span = function(span)
      for _, cls in ipairs({ "kpi-label", "kpi-value", "kpi-note" }) do
        if span.classes:includes(cls) then
          found[cls] = span.content
        end
      end
    end,
  })
  return found
end

local function kpis(div)
  local list = div.content[1]
  if not list or list.t ~= "BulletList" then
    return nil
  end
  if is_typst() then
    local items = {}
    for _, item in ipairs(list.content) do
      local k = kpi_parts(item)
      local s = pandoc.utils.stringify
      table.insert(items, string.format("(label: %s, value: %s, note: %s)",
        tstr(s(k["kpi-label"] or {})), tstr(s(k["kpi-value"] or {})), tstr(s(k["kpi-note"] or {}))))
    end
    return pandoc.RawBlock("typst", "#kpis((" .. table.concat(items, ", ") .. ",))")
  end
  local cards = {}
  for _, item in ipairs(list.content) do
    local k = kpi_parts(item)
    local lines = {}
    for _, cls in ipairs({ "kpi-label", "kpi-value", "kpi-note" }) do
      table.insert(lines, pandoc.Div(pandoc.Plain(k[cls] or {}), pandoc.Attr("", { cls })))
    end
    table.insert(cards, pandoc.Div(lines, pandoc.Attr("", { "kpi" }, { role = "listitem" })))
  end
  return pandoc.Div(cards, pandoc.Attr("", { "kpis" }, { role = "list" }))
end

local function note(div)
  if is_typst() then
    local body = pandoc.write(pandoc.Pandoc(div.content), "typst")
    return pandoc.RawBlock("typst", "#note[" .. body .. "]")
  end
  return nil -- HTML: the fenced div is already <div class="note" role="note">
end

-- Tables, as the built-in renderer draws them. HTML: status cells get their word's class
-- (never colour alone: the symbol and word stay), right-aligned columns `num`, the first column
-- is a row header, widths are left to the browser. Typst: every cell is a string literal (so
-- "-10.5%" keeps its hyphen and nothing is read as markup), status cells call the template's
-- `status`, columns share the page width by their longest text, and a caption makes the table
-- a figure with its caption on top, as in report.typ.
local function cell_text(cell)
  return pandoc.utils.stringify(cell.contents)
end

local function html_table(tbl)
  tbl.attributes["svf-widths"] = nil -- the browser lays out HTML tables
  local right = {}
  for i, spec in ipairs(tbl.colspecs) do
    right[i] = spec[1] == "AlignRight"
    tbl.colspecs[i] = { spec[1], nil }
  end
  local function mark(row, body)
    for i, cell in ipairs(row.cells) do
      if right[i] then
        cell.attr.classes:insert("num")
      end
      local word = body and STATUS[cell_text(cell)]
      if word then
        cell.attr.classes:insert("status")
        cell.attr.classes:insert("st-" .. word:gsub(" ", "-"))
      end
    end
  end
  for _, row in ipairs(tbl.head.rows) do
    mark(row, false)
    for _, cell in ipairs(row.cells) do
      cell.attr.attributes.scope = "col"
      if cell_text(cell) == "" then -- a header cell is never empty (screen readers name it)
        cell.contents = { pandoc.Plain(pandoc.Span("Name", pandoc.Attr("", { "visually-hidden" }))) }
      end
    end
  end
  for _, body in ipairs(tbl.bodies) do
    body.row_head_columns = 1
    for _, row in ipairs(body.body) do
      mark(row, true)
      if row.cells[1] then
        row.cells[1].attr.attributes.scope = "row"
      end
    end
  end
  return tbl
end

local function typst_table(tbl)
  local widths = {}
  for w in (tbl.attributes["svf-widths"] or ""):gmatch("[^,]+") do
    table.insert(widths, tonumber(w) or 1)
  end
  local longest = {}
  local function literal(row, body)
    for i, cell in ipairs(row.cells) do
      local text = cell_text(cell)
      longest[i] = math.max(longest[i] or 0, math.min(40, math.max(4, utf8.len(text) or #text)))
      local word = body and STATUS[text]
      local raw = word and ("#status(" .. tstr(word) .. ", " .. tstr(text) .. ")")
        or ("#" .. tstr(text))
      cell.contents = { pandoc.Plain(pandoc.RawInline("typst", raw)) }
    end
  end
  for _, row in ipairs(tbl.head.rows) do
    literal(row, false)
  end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      literal(row, true)
    end
  end
  local share = #widths == #tbl.colspecs and widths or longest
  local total = 0
  for _, n in ipairs(share) do
    total = total + n
  end
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], (share[i] or 4) / total }
  end
  local caption = pandoc.utils.stringify(tbl.caption.long or {})
  tbl.caption = pandoc.Caption()
  if caption == "" then
    return tbl
  end
  return {
    pandoc.RawBlock("typst", "#figure(kind: table, caption: [#" .. tstr(caption) .. "], ["),
    tbl,
    pandoc.RawBlock("typst", "])"),
  }
end

local function tables(tbl)
  if is_typst() then
    return typst_table(tbl)
  end
  -- As report.html.j2: a table wider than a phone scrolls in its own frame, reachable by
  -- keyboard and named by its caption.
  local name = pandoc.utils.stringify(tbl.caption.long or {})
  local attrs = { role = "region", tabindex = "0", ["aria-label"] = name ~= "" and name or "Table" }
  return pandoc.Div({ html_table(tbl) }, pandoc.Attr("", { "table-wrap" }, attrs))
end

-- HTML: the report body is the page's main landmark (the masthead's skip link goes there),
-- followed by the same footer as the built-in renderer's.
local function landmarks(doc)
  if is_typst() then
    return nil
  end
  local foot = pandoc.List()
  for _, key in ipairs({ "svf-council", "title" }) do
    if doc.meta[key] then
      foot:extend(pandoc.utils.type(doc.meta[key]) == "Inlines" and doc.meta[key]
        or pandoc.Inlines(pandoc.utils.stringify(doc.meta[key])))
      foot:insert(pandoc.Str(" · "))
    end
  end
  foot:insert(pandoc.Str("review cycle "))
  foot:extend(doc.meta["svf-cycle"] and pandoc.Inlines(pandoc.utils.stringify(doc.meta["svf-cycle"])) or {})
  doc.blocks:insert(1, pandoc.RawBlock("html", '<main id="main">'))
  doc.blocks:insert(pandoc.RawBlock("html", '</main>\n<footer class="foot">'))
  doc.blocks:insert(pandoc.Para(foot))
  doc.blocks:insert(pandoc.RawBlock("html", "</footer>"))
  return doc
end

-- A table whose block sets its column widths comes in a `.svf-table` div
-- (`render_quarto.quarto_markdown`): the widths go onto the table, the div goes.
local function table_widths(div)
  if not div.classes:includes("svf-table") then
    return nil
  end
  for _, block in ipairs(div.content) do
    if block.t == "Table" then
      block.attributes["svf-widths"] = div.attributes.widths
    end
  end
  return div.content
end

return {
  { Meta = read_meta, Div = table_widths },
  {
    Div = function(div)
      if div.classes:includes("kpis") then
        return kpis(div)
      elseif div.classes:includes("note") then
        return note(div)
      end
    end,
    Table = tables,
  },
  { Pandoc = landmarks },
}
